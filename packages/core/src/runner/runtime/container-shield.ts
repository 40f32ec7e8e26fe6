import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import type { ConfigGuard } from "./host-guard.js";

/** A host folder the container can write, and where it appears inside. */
export interface WritableMount {
  hostPath: string;
  containerPath: string;
}

/** Extra mounts, in Docker's Mounts form (no "src:dst:mode" string to misparse). */
export interface ShieldMount {
  Type: "bind" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly: true;
}

/**
 * Every host folder a container with these settings can write: the `rw` workspace, `rw` volumes,
 * and raw `host_config` Binds or bind Mounts not marked read-only (the fleet file may add them).
 */
export function writableMounts(
  config: {
    workspaceMode: "rw" | "ro";
    volumes: readonly { hostPath: string; containerPath: string; mode: string }[];
    hostConfig: Record<string, unknown>;
  },
  workingDirectory: string,
  workspace: string,
): WritableMount[] {
  const writable: WritableMount[] = [];
  if (config.workspaceMode === "rw") writable.push({ hostPath: workingDirectory, containerPath: workspace });
  for (const v of config.volumes)
    if (v.mode === "rw") writable.push({ hostPath: v.hostPath, containerPath: v.containerPath });
  const binds = Array.isArray(config.hostConfig.Binds) ? config.hostConfig.Binds : [];
  for (const bind of binds) {
    const [hostPath, containerPath, options = ""] = String(bind).split(":");
    if (hostPath?.startsWith("/") && containerPath && !options.split(",").includes("ro"))
      writable.push({ hostPath, containerPath });
  }
  const mounts = Array.isArray(config.hostConfig.Mounts) ? config.hostConfig.Mounts : [];
  for (const m of mounts as Array<Record<string, unknown>>) {
    if (
      m?.Type === "bind" &&
      m.ReadOnly !== true &&
      typeof m.Source === "string" &&
      typeof m.Target === "string"
    )
      writable.push({ hostPath: m.Source, containerPath: m.Target });
  }
  return writable;
}

/** The real path, or for a missing file its real folder joined with its name. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}

function inside(mount: WritableMount, hostPath: string): string | undefined {
  const rel = relative(real(mount.hostPath), hostPath);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return `${mount.containerPath}/${rel.split(sep).join("/")}`;
}

/**
 * Mounts that keep a container from changing what governs it: every protected file or folder (a
 * plugin) inside a writable mount is covered by a read-only bind of itself (a missing file, such as an absent .env,
 * by a read-only empty `placeholder`, which leaves an empty file behind on the host), and herdctl's
 * state folder, if it is inside, by an empty read-only tmpfs. A bind over a file also makes it
 * impossible to delete or rename over from inside (EBUSY).
 */
export function shieldMounts(
  writable: readonly WritableMount[],
  guard: ConfigGuard | undefined,
  placeholder: string,
  exists: (path: string) => boolean,
): ShieldMount[] {
  if (!guard) return [];
  const mounts = new Map<string, ShieldMount>();
  for (const mount of writable) {
    for (const path of guard.protectedPaths) {
      const hostPath = real(path);
      const target = inside(mount, hostPath);
      if (!target || mounts.has(target)) continue;
      const source = exists(hostPath) ? hostPath : placeholder;
      mounts.set(target, { Type: "bind", Source: source, Target: target, ReadOnly: true });
    }
    const state = inside(mount, real(guard.stateDir));
    if (state) mounts.set(state, { Type: "tmpfs", Target: state, ReadOnly: true });
  }
  return [...mounts.values()];
}
