/**
 * Makes a release: one tarball per published package (@herdctl/standin, @herdctl/core,
 * @herdctl/web, herdctl) in a folder (default: release/), with a package.json and package-lock.json
 * there that install all four (see scripts/release/install-lock.mjs), and better-sqlite3's binary
 * as built here, in `prebuilds/` laid out as a download mirror for its installer
 * (scripts/release/prebuilt-sqlite.mjs), and scripts/release/prime-cache.mjs, which lets the
 * tarballs install offline with no lock. Run `npm run build` first; this packs what is built and
 * does not build.
 *
 *   node scripts/pack.mjs [outdir]        (npm run pack, which then primes this machine's cache)
 *
 * Prints one line per file written. The folder is a complete offline install: copy it to a
 * machine whose npm cache holds the dependencies, serve `prebuilds/` there, run
 * `node prime-cache.mjs` in it, then `npm install --offline ./herdctl-*.tgz` anywhere
 * (docs/operating.md).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { installLock } from "./release/install-lock.mjs";
import { packPrebuiltSqlite } from "./release/prebuilt-sqlite.mjs";

const repo = fileURLToPath(new URL("..", import.meta.url));
// Each package and a file that is there only once it is built.
const PACKAGES = [
  ["packages/standin", "dist/index.js"],
  ["packages/core", "dist/index.js"],
  ["packages/web", "dist/client/index.html"],
  ["packages/cli", "dist/client/index.html"],
];

const outdir = resolve(process.argv[2] ?? join(repo, "release"));
for (const [workspace, built] of PACKAGES)
  if (!existsSync(join(repo, workspace, built)))
    throw new Error(`pack: ${workspace}/${built} is missing; run \`npm run build\` first`);

mkdirSync(outdir, { recursive: true });
// A stale node_modules or lock from an install in this folder would not match the new tarballs.
for (const old of ["node_modules", "package-lock.json", "prebuilds"])
  rmSync(join(outdir, old), { recursive: true, force: true });
const packed = JSON.parse(
  execFileSync(
    "npm",
    ["pack", ...PACKAGES.flatMap(([workspace]) => ["-w", workspace]), "--pack-destination", outdir, "--json"],
    { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  ),
);
const byName = new Map(packed.map((entry) => [entry.name, entry]));
const lockfile = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8"));
const tarballs = PACKAGES.map(([workspace]) => {
  const { name } = lockfile.packages[workspace];
  const entry = byName.get(name);
  if (!entry) throw new Error(`pack: npm pack did not report a tarball for ${name}`);
  return { workspace, file: entry.filename, integrity: entry.integrity };
});
const { allowScripts } = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
const { manifest, lock } = installLock(lockfile, tarballs, allowScripts ?? {});
writeFileSync(join(outdir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
writeFileSync(join(outdir, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
const prebuilt = packPrebuiltSqlite(repo, join(outdir, "prebuilds"));
copyFileSync(join(repo, "scripts", "release", "prime-cache.mjs"), join(outdir, "prime-cache.mjs"));
for (const file of [...tarballs.map((t) => t.file), "package.json", "package-lock.json", "prime-cache.mjs"])
  console.log(join(outdir, file));
console.log(prebuilt);
