/**
 * Installs a release folder (scripts/pack.mjs) the way docs/operating.md tells a machine with no
 * internet to: its `prebuilds/` served on 127.0.0.1 as the mirror of better-sqlite3's binaries,
 * `node prime-cache.mjs` from the release, then, in a folder holding only the four tarballs,
 * `npm install --offline ./herdctl-*.tgz` (named as the users type them), and from there
 * `npm install -g --offline ./herdctl-0.1.0.tgz`. Before priming, with `--dry-run` (npm resolves
 * the whole tree but unpacks nothing): the tarballs beside the release's lock, which need no
 * registry metadata, and the tarballs with no lock, which do.
 * No compiler or Python is on PATH for npm (each is a stub that fails), as on many users' machines.
 * Run it under `unshare --net`: in a network namespace of its own, holding only loopback, any
 * request for the registry or GitHub fails at once instead of quietly succeeding.
 *
 *   unshare --net -- node install-offline.mjs <release> <scratch> [--local-lock-only]
 *
 * With --local-lock-only, the install in the tarballs' folder is `--package-lock-only`: npm
 * resolves the whole tree from the primed metadata and writes the folder's package-lock.json, but
 * unpacks nothing. The global install then is the one that unpacks (some 800 MB: claude's and the
 * SDK's native packages), runs the install scripts and fetches better-sqlite3's binary; a second
 * 800 MB unpack by the same npm from the same cache would check nothing the first does not.
 *
 * npm's cache is this machine's tarballs alone: its content hard-linked into <scratch>/cache
 * (content files are never rewritten, only added) with no index, so no registry metadata, and
 * nothing this run fetches, primes or caches lands in the user's cache. The project folder is
 * <scratch>/project, the global prefix <scratch>/global. Prints one JSON line: each npm run's
 * status, output and duration, the tarballs named, and the paths the mirror was asked for.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { join, relative, resolve } from "node:path";

const args = process.argv.slice(2);
const localLockOnly = args.includes("--local-lock-only");
const [release, scratch] = args.filter((arg) => !arg.startsWith("--")).map((arg) => resolve(arg));
if (!release || !scratch)
  throw new Error("usage: install-offline.mjs <release> <scratch> [--local-lock-only]");

// A new network namespace starts with its loopback down.
execFileSync("ip", ["link", "set", "lo", "up"]);

const cache = join(scratch, "cache");
const npmCache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();
linkTree(join(npmCache, "_cacache", "content-v2"), join(cache, "_cacache", "content-v2"));

const mirrorRoot = join(release, "prebuilds");
const requests = [];
const mirror = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://mirror").pathname);
  requests.push(path);
  const file = join(mirrorRoot, path);
  if (relative(mirrorRoot, file).startsWith("..") || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": "application/gzip" });
  createReadStream(file).pipe(res);
});
await new Promise((ready) => mirror.listen(0, "127.0.0.1", ready));
const address = mirror.address();
// The machine a user installs on often has no build tools; neither does this run. Only the
// optional native builds of ssh2 and cpu-features would use them (they give up, as they do there);
// better-sqlite3 must come from the mirror, or the install fails.
const noCompiler = join(scratch, "no-compiler");
mkdirSync(noCompiler);
for (const tool of ["cc", "gcc", "c++", "g++", "make", "python", "python3"]) {
  writeFileSync(join(noCompiler, tool), `#!/bin/sh\necho "${tool}: not on this machine" >&2\nexit 127\n`, {
    mode: 0o755,
  });
}
const env = {
  ...process.env,
  PATH: `${noCompiler}:${process.env.PATH ?? ""}`,
  npm_config_cache: cache,
  npm_config_better_sqlite3_binary_host: `http://127.0.0.1:${typeof address === "object" ? address?.port : 0}`,
  npm_config_update_notifier: "false",
};

// Named as a shell expands `./herdctl-*.tgz`, without a shell.
const tarballs = readdirSync(release)
  .filter((name) => name.startsWith("herdctl-") && name.endsWith(".tgz"))
  .sort()
  .map((name) => `./${name}`);
const herdctl = tarballs.find((name) => /^\.\/herdctl-\d/.test(name)) ?? "./herdctl-?.tgz";
const quiet = ["--no-audit", "--no-fund"];
const locked = await npm(["install", "--offline", "--dry-run", ...quiet, ...tarballs], release);
const project = join(scratch, "project");
mkdirSync(project);
for (const tarball of tarballs) copyFileSync(join(release, tarball), join(project, tarball));
const unprimed = await npm(["install", "--offline", "--dry-run", ...quiet, ...tarballs], project);
const prime = await run(
  process.execPath,
  [join(release, "prime-cache.mjs"), release, "--cache", cache],
  release,
);
const local = await npm(
  ["install", "--offline", ...(localLockOnly ? ["--package-lock-only"] : []), ...quiet, ...tarballs],
  project,
);
const global = await npm(
  ["install", "-g", "--offline", ...quiet, "--prefix", join(scratch, "global"), herdctl],
  project,
);
mirror.close();
console.log(JSON.stringify({ tarballs, locked, unprimed, prime, local, global, requests }));

function npm(args, cwd) {
  return run("npm", args, cwd);
}

function run(command, args, cwd) {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (status) => done({ args, status, stdout, stderr, ms: performance.now() - started }));
  });
}

/** `to` as a copy of the folder `from` whose files are hard links (copies across file systems). */
function linkTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isFile()) {
      try {
        linkSync(source, target);
      } catch (error) {
        if (error.code !== "EXDEV") throw error;
        copyFileSync(source, target);
      }
    }
  }
}
