import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

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

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  optional?: boolean;
}

/**
 * Lays out `node_modules` in `target` exactly as the release's package-lock.json says, the way
 * `npm ci` would but in seconds: each tarball unpacked from the release, each registry package
 * hard-linked from this repository's own installed copy (the same version: the lock is cut from
 * the repository's). Only what the lock lists is there, so a dependency the tarballs need but do
 * not declare is missing. `npm ci --offline` itself, with its native build, is
 * bench/packaged-install.ts (minutes: see bench/README.md).
 */
export async function layOut(release: string, target: string): Promise<Record<string, LockEntry>> {
  const lock = JSON.parse(readFileSync(join(release, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const placed: string[] = [];
  for (const path of Object.keys(lock.packages).sort()) {
    if (path === "") continue;
    const entry = lock.packages[path]!;
    const to = join(target, path);
    if (entry.resolved?.startsWith("file:")) {
      mkdirSync(to, { recursive: true });
      await run("tar", [
        "-xzf",
        join(release, entry.resolved.slice("file:".length)),
        "-C",
        to,
        "--strip-components=1",
      ]);
      continue;
    }
    // Nested under a package already linked with its own node_modules.
    if (placed.some((parent) => path.startsWith(`${parent}/`))) continue;
    const from = join(ROOT, path);
    const installed = existsSync(join(from, "package.json"))
      ? (JSON.parse(readFileSync(join(from, "package.json"), "utf8")) as { version: string }).version
      : undefined;
    // A platform package for another system: npm skips it here too.
    if (installed === undefined && entry.optional) continue;
    if (installed !== entry.version)
      throw new Error(
        `${path}: the lock says ${entry.version}, the repository has ${installed ?? "nothing"}`,
      );
    mkdirSync(dirname(to), { recursive: true });
    await run("cp", ["-al", from, to]);
    placed.push(path);
  }
  return lock.packages;
}
