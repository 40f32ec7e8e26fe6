import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { RuntimeError } from "./errors.js";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function fromInstalledPackage(): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    const pkgJson = require.resolve("@anthropic-ai/claude-code/package.json");
    const candidate = join(dirname(pkgJson), "bin", "claude.exe");
    return isExecutable(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the claude executable: the configured path first (the user said so), then PATH, then the
 * copy that came with herdctl's own @anthropic-ai/claude-code dependency.
 */
export function resolveClaudeBinary(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (configured) {
    const found =
      isAbsolute(configured) || configured.includes("/")
        ? isExecutable(configured)
          ? configured
          : undefined
        : findOnPath(configured, env.PATH);
    if (found) return found;
    throw new RuntimeError({
      reason: "claude_missing",
      runtime: "host",
      detail: `defaults.claude_path is "${configured}", which is not an executable file`,
    });
  }
  const found = findOnPath("claude", env.PATH) ?? fromInstalledPackage();
  if (found) return found;
  throw new RuntimeError({ reason: "claude_missing", runtime: "host", detail: "not on PATH" });
}
