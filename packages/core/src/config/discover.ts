import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "./errors.js";

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

/** A fleet file given as itself or as its folder → the file; a clear ConfigError when there is none. */
export function resolveConfigPath(target: string): string {
  const fail = (message: string, hint: string): never => {
    throw new ConfigError([{ file: target, line: 0, col: 0, path: "", message, hint }]);
  };
  let isDir: boolean;
  try {
    isDir = statSync(target).isDirectory();
  } catch {
    return fail("no such file or folder", "pass a herdctl.yaml file or the folder containing it");
  }
  if (!isDir) return target;
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = join(target, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return fail(
    "no herdctl.yaml or herdctl.yml in this folder",
    "create one, or pass the path of the fleet file",
  );
}
