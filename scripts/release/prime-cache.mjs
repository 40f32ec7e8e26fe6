/**
 * Primes npm's cache so that a release's tarballs install offline with no lock beside them: in an
 * empty folder (`npm install --offline ./herdctl-*.tgz`) and globally
 * (`npm install -g --offline ./herdctl-0.1.0.tgz`). Without a lock, npm 11 chooses each
 * dependency's version from the registry's metadata (its "packument"), which a cache filled by
 * `npm ci` never holds, and stops with ENOTCACHED. This writes, for every registry package the
 * release's package-lock.json pins, the packument npm would have fetched, holding only the
 * pinned versions, each with the lock's tarball address and
 * integrity hash. npm then picks exactly those versions and takes their tarballs from the cache
 * by hash, as `npm ci` left them there.
 *
 *   node prime-cache.mjs [release-folder] [--cache <npm cache>]
 *
 * The release folder (default: the current one) is the one scripts/pack.mjs writes; this file is
 * copied into it, so the target machine runs it from there. The cache defaults to npm's own
 * (`npm config get cache`). It uses the cache library of the npm on this machine, so the entries
 * are in that npm's own format.
 *
 * The entries are stale from the start (`cache-control: max-age=0`): an online install asks the
 * registry again and replaces them with the full metadata; `--offline` and `--prefer-offline`
 * use them as they are, and so only see the pinned versions of these packages.
 *
 * Exits with 1, after writing, when a tarball the install needs on this platform is missing from
 * the cache (listed, with what to do).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";

// What npm (pacote) sends when it reads a packument: the abbreviated form (npm 10) or the full
// one (npm 11 installs). make-fetch-happen answers a request from the cache only with an entry
// stored for the same accept header, so each packument is stored for both.
const ACCEPT = {
  "application/json": "application/json",
  "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*":
    "application/vnd.npm.install-v1+json",
};
// The fields of a locked package that are also in its abbreviated packument version.
const MANIFEST_FIELDS = [
  "bin",
  "cpu",
  "dependencies",
  "deprecated",
  "engines",
  "funding",
  "hasInstallScript",
  "libc",
  "license",
  "optionalDependencies",
  "os",
  "peerDependencies",
  "peerDependenciesMeta",
];

const { values, positionals } = parseArgs({
  options: { cache: { type: "string" } },
  allowPositionals: true,
});
const release = resolve(positionals[0] ?? ".");
const lockPath = join(release, "package-lock.json");
if (!existsSync(lockPath))
  fail(`${lockPath} does not exist; run this in a release folder (npm run pack writes one), or name it`);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
if (!lock.packages?.[""]) fail(`${lockPath} is not a lockfileVersion 2 or 3 package-lock.json`);

const npmDir = npmInstallation();
const npmRequire = createRequire(join(npmDir, "package.json"));
const cacache = npmRequire("cacache");
const semver = npmRequire("semver");
const validPackageName = npmRequire("validate-npm-package-name");
const config = npmConfig(npmDir);
const cache = join(resolve(values.cache ?? config.cache), "_cacache");
const registry = config.registry.replace(/\/+$/, "");

/** name → version → lock entry; every entry checked before anything is written. */
const pinned = new Map();
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === "" || entry.link || entry.resolved?.startsWith("file:")) continue;
  const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  const problem = lockProblem(name, entry);
  if (problem) fail(`${lockPath}: "${path}" ${problem}; pack the release again`);
  if (!pinned.has(name)) pinned.set(name, new Map());
  pinned.get(name).set(entry.version, entry);
}

const missing = [];
let otherPlatforms = 0;
for (const [name, versions] of [...pinned].sort(([a], [b]) => a.localeCompare(b))) {
  const manifests = {};
  for (const [version, entry] of versions) {
    manifests[version] = {
      name,
      version,
      ...Object.fromEntries(MANIFEST_FIELDS.filter((f) => entry[f] !== undefined).map((f) => [f, entry[f]])),
      dist: { tarball: entry.resolved, integrity: entry.integrity },
    };
    if (!(await cacache.get.hasContent(cache, entry.integrity))) {
      if (entry.optional) otherPlatforms++;
      else missing.push(`${name}@${version}`);
    }
  }
  const latest = [...versions.keys()].sort(semver.rcompare)[0];
  const packument = {
    name,
    "dist-tags": { latest },
    modified: new Date().toISOString(),
    versions: manifests,
  };
  const url = `${registry}/${name.replace("/", "%2f")}`;
  for (const [accept, type] of Object.entries(ACCEPT))
    await cacache.put(cache, `make-fetch-happen:request-cache:${url}`, JSON.stringify(packument), {
      metadata: {
        time: Date.now(),
        url,
        reqHeaders: { accept },
        resHeaders: { "cache-control": "max-age=0", "content-type": type, date: new Date().toUTCString() },
        options: { compress: true },
      },
    });
}

console.log(
  `primed ${pinned.size} packages' metadata in ${cache} (${registry}); ${otherPlatforms} optional packages for other platforms have no tarball there, which npm skips`,
);
if (missing.length > 0) {
  console.error(
    `prime-cache: these tarballs are not in ${cache}, so an offline install stops at them:\n  ${missing.sort().join("\n  ")}\nFill the cache on a machine with the registry (npm ci of the repository, or \`npm cache add <name>@<version>\`) and copy it here.`,
  );
  process.exit(1);
}

/** Why a locked registry package cannot become registry metadata, or undefined. */
function lockProblem(name, entry) {
  if (!validPackageName(name).validForOldPackages)
    return `names a package "${name}", which is not an npm package name`;
  if (!semver.valid(entry.version)) return `has version ${JSON.stringify(entry.version)}, not a version`;
  if (typeof entry.integrity !== "string" || !/^sha512-[A-Za-z0-9+/]{86}==$/.test(entry.integrity))
    return "has no sha512 integrity hash";
  if (typeof entry.resolved !== "string" || !entry.resolved.startsWith("https://"))
    return "has no https tarball address (resolved)";
  return undefined;
}

/** The folder of the npm that `npm` runs here: the one running this script, else the first on PATH. */
function npmInstallation() {
  const starts = [process.env.npm_execpath];
  for (const dir of (process.env.PATH ?? "").split(delimiter))
    if (dir && existsSync(join(dir, "npm"))) starts.push(join(dir, "npm"));
  for (const start of starts) {
    if (!start || !existsSync(start)) continue;
    let dir = dirname(realpathSync(start));
    while (dir !== dirname(dir)) {
      const manifest = join(dir, "package.json");
      if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "npm") return dir;
      dir = dirname(dir);
    }
  }
  fail("found no npm installation (npm_execpath or npm on PATH); run this with the npm that will install");
}

/** npm's cache folder and registry as `npm config get` reports them (environment and .npmrc files included). */
function npmConfig(dir) {
  const out = execFileSync(
    process.execPath,
    [join(dir, "bin", "npm-cli.js"), "config", "get", "cache", "registry"],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const pairs = Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  return { cache: pairs.cache, registry: pairs.registry };
}

function fail(message) {
  console.error(`prime-cache: ${message}`);
  process.exit(1);
}
