import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const CONFIG_FILE_NAMES = ["herdctl.yaml", "herdctl.yml"] as const;

/** Looks for herdctl.yaml (then .yml) in `startDir` and each parent folder, nearest first. */
export function findConfigFile(startDir: string): string | undefined {
  let dir = resolve(startDir);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {}
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
