/**
 * Lays out `node_modules` in a folder exactly as a release's package-lock.json says, the way
 * `npm ci` would but in seconds, for a machine that has a built clone: each tarball unpacked from
 * the release, each registry package hard-linked from the clone's own installed copy (the same
 * version: the release lock is cut from the clone's lock; checked). Native modules come as the
 * clone built them. Only what the lock lists is there, so a dependency a tarball needs but does
 * not declare is missing. Used by the packaged-install test and scripts/build-daemon-image.mjs.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * @param {string} repo the clone whose node_modules provides the registry packages
 * @param {string} release the folder scripts/pack.mjs wrote
 * @param {string} target where node_modules goes
 * @returns {Promise<Record<string, { version?: string, resolved?: string, integrity?: string, optional?: boolean }>>}
 *   the lock's packages
 */
export async function layOut(repo, release, target) {
  const lock = JSON.parse(readFileSync(join(release, "package-lock.json"), "utf8"));
  const placed = [];
  for (const path of Object.keys(lock.packages).sort()) {
    if (path === "") continue;
    const entry = lock.packages[path];
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
    const from = join(repo, path);
    const installed = existsSync(join(from, "package.json"))
      ? JSON.parse(readFileSync(join(from, "package.json"), "utf8")).version
      : undefined;
    // A platform package for another system: npm skips it here too.
    if (installed === undefined && entry.optional) continue;
    if (installed !== entry.version)
      throw new Error(
        `${path}: the release lock says ${entry.version}, ${repo} has ${installed ?? "nothing"}; run \`npm ci\` there`,
      );
    mkdirSync(dirname(to), { recursive: true });
    await run("cp", ["-al", from, to]);
    placed.push(path);
  }
  return lock.packages;
}
