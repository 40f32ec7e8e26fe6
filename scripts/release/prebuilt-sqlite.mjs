/**
 * better-sqlite3's compiled binary, as installed in a clone, packed the way better-sqlite3's
 * installer (prebuild-install) downloads it from a mirror: `v<version>/better-sqlite3-v<version>-
 * node-v<abi>-<platform><libc>-<arch>.tar.gz` holding `build/Release/better_sqlite3.node`. Served
 * from any web server and named by `npm_config_better_sqlite3_binary_host`, it lets an offline
 * install of the release get the binary without a compiler (docs/operating.md).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/**
 * @param {string} repo the clone whose node_modules/better-sqlite3 is built
 * @param {string} mirror the folder a mirror serves; the tarball goes in its `v<version>/`
 * @returns {string} the tarball's path
 */
export function packPrebuiltSqlite(repo, mirror) {
  const dir = join(repo, "node_modules", "better-sqlite3");
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const binary = join(dir, "build", "Release", "better_sqlite3.node");
  if (!existsSync(binary))
    throw new Error(`pack: ${binary} is missing; run \`npm ci\` (or \`npm rebuild better-sqlite3\`) first`);
  // The file name promises this Node.js's ABI; a binary built by another Node.js would not load.
  try {
    createRequire(import.meta.url)(binary);
  } catch (error) {
    throw new Error(
      `pack: ${binary} does not load in this Node.js ${process.version} (${error.message}); run \`npm rebuild better-sqlite3\` with it, then pack again`,
    );
  }
  // prebuild-install names glibc builds with no libc part and musl builds "linuxmusl".
  const libc =
    process.platform === "linux" && !process.report.getReport().header.glibcVersionRuntime ? "musl" : "";
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`;
  const folder = join(mirror, `v${version}`);
  mkdirSync(folder, { recursive: true });
  execFileSync("tar", ["-czf", join(folder, name), "-C", dir, "build/Release/better_sqlite3.node"]);
  return join(folder, name);
}
