import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { layOut as layOutScript } from "../../../../scripts/release/lay-out.mjs";

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** `node scripts/pack.mjs <dir>`: the four tarballs, package.json and package-lock.json in `dir`. */
export async function packRelease(dir: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(ROOT, "scripts", "pack.mjs"), dir], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim().split("\n");
}

export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  optional?: boolean;
}

/**
 * node_modules in `target` as the release's lock says, from this repository's installed packages
 * (scripts/release/lay-out.mjs). `npm ci --offline` itself, with its native build, is
 * bench/packaged-install.ts (minutes: see bench/README.md).
 */
export function layOut(release: string, target: string): Promise<Record<string, LockEntry>> {
  return layOutScript(ROOT, release, target);
}
