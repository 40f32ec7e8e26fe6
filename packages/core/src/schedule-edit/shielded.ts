import { realpathSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import type { LoadedFleet } from "../config/index.js";
import { CONTAINER_WORKSPACE } from "../docker/runtime-image.js";
import { writableMounts } from "../runner/runtime/container-shield.js";
import { resolveDockerConfig } from "../runner/runtime/docker-config.js";

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Whether a container of this fleet may hold `file` under a read-only bind (see shieldMounts).
 * Replacing such a file by rename detaches that bind inside a running container (the kernel
 * unmounts a mount point renamed over in another namespace), which would leave the new file
 * writable from inside; such a file is rewritten in place instead. Unsure means yes.
 */
export function mayBeShielded(file: string, fleet: LoadedFleet): boolean {
  const target = real(file);
  for (const agent of fleet.agents) {
    if (!agent.docker?.enabled) continue;
    try {
      const config = resolveDockerConfig(agent.docker, undefined, {
        workingDirectory: agent.working_directory,
      });
      for (const mount of writableMounts(config, agent.working_directory, CONTAINER_WORKSPACE)) {
        const rel = relative(real(mount.hostPath), target);
        if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) return true;
      }
    } catch {
      return true;
    }
  }
  return false;
}
