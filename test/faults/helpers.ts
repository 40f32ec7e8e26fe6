import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Dockerode from "dockerode";
import { buildImage } from "../../packages/core/src/docker/image.js";

export { isAlive } from "../setup/process-alive.js";

import { IMAGE_HASH_LABEL } from "../../packages/core/src/docker/runtime-image.js";

export const CLI = fileURLToPath(new URL("../../packages/cli/dist/herdctl.cjs", import.meta.url));

export function scratch(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** herdctl.yaml plus one file per agent (name → YAML body after name/working_directory). */
export function writeFleetFiles(
  root: string,
  fleetName: string,
  agents: Record<string, string>,
  fleetExtra = "",
): void {
  mkdirSync(join(root, "agents"), { recursive: true });
  mkdirSync(join(root, "workspace"), { recursive: true });
  for (const [name, body] of Object.entries(agents)) {
    writeFileSync(
      join(root, "agents", `${name}.yaml`),
      `name: ${name}\nworking_directory: ../workspace\n${body}`,
    );
  }
  writeFileSync(
    join(root, "herdctl.yaml"),
    `version: 1\nfleet: { name: ${fleetName} }\n${fleetExtra}agents:\n${Object.keys(agents)
      .map((n) => `  - path: ./agents/${n}.yaml\n`)
      .join("")}`,
  );
}

/**
 * Polls until `probe` returns a value. The deadline only turns a hang into a readable failure
 * before vitest's own timeout; on a busy machine claude alone can take many seconds to start.
 */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The runtime image's id, for tests that must keep one build while other files may re-point its
 * tag. Images built FROM it (the dev image, the daemon image) carry its hash label too, so the
 * one tagged as the build says, else the oldest, is it (as core's own lookup decides).
 */
export async function runtimeImageId(): Promise<string> {
  const { hash, tag } = await buildImage({ offline: true });
  const images = await new Dockerode().listImages({ filters: { label: [`${IMAGE_HASH_LABEL}=${hash}`] } });
  const image =
    images.find((i) => (i.RepoTags ?? []).includes(tag)) ?? images.sort((a, b) => a.Created - b.Created)[0];
  if (!image) throw new Error(`no image carries ${IMAGE_HASH_LABEL}=${hash} after building it`);
  return image.Id;
}
