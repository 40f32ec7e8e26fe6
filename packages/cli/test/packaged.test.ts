import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, type CliResult, cleanEnv, freePort, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { installOffline, type LockEntry, type OfflineInstall, packRelease } from "./helpers/release.js";

/**
 * The release as a user gets it, installed for real with no network, in the commands issue #14
 * names: `scripts/pack.mjs` tarballs; `node prime-cache.mjs` from the release folder, which gives
 * npm's cache the registry metadata of the versions the release's lock pins; then, in a folder
 * holding only the tarballs, `npm install --offline ./herdctl-*.tgz` (as `--package-lock-only`:
 * resolved and locked at the pinned versions, nothing unpacked) and
 * `npm install -g --offline ./herdctl-0.1.0.tgz` into a temporary prefix, the one install that
 * unpacks (some 800 MB; a second, local unpack by the same npm from the same cache checked nothing
 * more and cost ~20 CPU-s, bench/README.md "The test suite's cost"); inside a network
 * namespace holding only loopback (helpers/install-offline.mjs, run under `unshare --net`), npm's
 * cache (a scratch copy of this machine's tarballs, no metadata) as the only source of packages and
 * the release's `prebuilds/` served on 127.0.0.1 as the mirror better-sqlite3's installer fetches
 * its binary from (docs/operating.md). Then the installed `herdctl`, outside any repository:
 * --version, init, and `start --offline` answering a trigger and serving the dashboard it carries.
 * Anthropic is faked (the built-in offline stand-in).
 */

let release: { dir: string; remove: () => Promise<void> };
let scratch: { dir: string; remove: () => Promise<void> };
let fleet: { dir: string; remove: () => Promise<void> };
let files: string[];
let lock: Record<string, LockEntry>;
let install: OfflineInstall;
let bin: string;
let installed: string;
let project: string;

function installedHerdctl(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Where the release is packed and installed. The install unpacks some 800 MB (claude and its
 * native build among them); in memory (tmpfs, where the machine has one) that took about
 * three quarters of the CPU it took on disk, half the wall time, and leaves the kernel no
 * 800 MB to write back (bench/README.md, "The test suite's cost").
 */
function scratchBase(): string | undefined {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  assertBuilt();
  const base = scratchBase();
  release = await tempDir("herdctl-release-", base);
  scratch = await tempDir("herdctl-installed-", base);
  fleet = await tempDir("herdctl-packaged-fleet-");
  files = await packRelease(release.dir);
  lock = JSON.parse(readFileSync(join(release.dir, "package-lock.json"), "utf8")).packages;
  install = await installOffline(release.dir, scratch.dir, { localLockOnly: true });
  project = join(scratch.dir, "project");
  bin = join(scratch.dir, "global", "bin", "herdctl");
  installed = join(scratch.dir, "global", "lib", "node_modules", "herdctl");
}, 1_200_000);

afterAll(async () => {
  await Promise.all([release?.remove(), scratch?.remove(), fleet?.remove()]);
});

describe("the packed release, installed offline outside the repository", () => {
  it("packs four tarballs, a lock pinning every dependency, the cache primer and better-sqlite3's binary", () => {
    const abi = process.versions.modules;
    expect(files.map((f) => f.slice(release.dir.length + 1)).sort()).toEqual([
      "herdctl-0.1.0.tgz",
      "herdctl-core-0.1.0.tgz",
      "herdctl-standin-0.1.0.tgz",
      "herdctl-web-0.1.0.tgz",
      "package-lock.json",
      "package.json",
      `prebuilds/v${lock["node_modules/better-sqlite3"]?.version}/better-sqlite3-v${lock["node_modules/better-sqlite3"]?.version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`,
      "prime-cache.mjs",
    ]);
    // Every registry package is pinned with its integrity and tarball address: what the primer
    // writes into npm's metadata, and what lets the folder's own lock install with no metadata.
    const unpinned = Object.entries(lock).filter(
      ([path, entry]) =>
        path !== "" &&
        !entry.resolved?.startsWith("file:") &&
        !(
          entry.version &&
          entry.integrity?.startsWith("sha512-") &&
          entry.resolved?.startsWith("https://registry.npmjs.org/") &&
          entry.resolved.endsWith(`-${entry.version}.tgz`)
        ),
    );
    expect(unpinned).toEqual([]);
    expect(lock["node_modules/herdctl"]?.resolved).toBe("file:herdctl-0.1.0.tgz");
    expect(lock["node_modules/better-sqlite3"]?.version).toMatch(/^12\./);
  });

  it("before priming, resolves offline beside the release's lock, and without it fails for want of registry metadata", () => {
    expect(install.tarballs).toEqual([
      "./herdctl-0.1.0.tgz",
      "./herdctl-core-0.1.0.tgz",
      "./herdctl-standin-0.1.0.tgz",
      "./herdctl-web-0.1.0.tgz",
    ]);
    expect(install.locked.status, install.locked.stderr).toBe(0);
    // npm 11 warns about install scripts the folder's allowScripts does not decide.
    expect(install.locked.stderr).not.toMatch(/install-scripts/);
    expect(install.unprimed.status, install.unprimed.stdout).not.toBe(0);
    expect(install.unprimed.stderr).toMatch(/ENOTCACHED/);
  });

  it("after prime-cache.mjs, resolves `./herdctl-*.tgz` in a folder of their own to exactly the versions the lock pins, and the global install takes the binary from the mirror", () => {
    expect(install.prime.status, install.prime.stderr).toBe(0);
    expect(install.prime.stdout).toMatch(/^primed \d+ packages' metadata/);
    expect(install.local.status, install.local.stderr).toBe(0);
    const pinned = (entries: Record<string, LockEntry & { name?: string; link?: boolean }>) =>
      Object.entries(entries)
        .filter(([path, entry]) => path !== "" && !entry.link && !entry.resolved?.startsWith("file:"))
        .map(([path, entry]) => {
          const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
          return `${name}@${entry.version} ${entry.integrity}`;
        })
        .sort();
    const installedLock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8")).packages;
    expect(pinned(installedLock)).toEqual(pinned(lock));
    const version = lock["node_modules/better-sqlite3"]?.version;
    expect(install.requests.length).toBeGreaterThan(0);
    expect(new Set(install.requests)).toEqual(
      new Set([
        `/v${version}/better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`,
      ]),
    );
    // Fetched, not compiled: node-gyp would have left its object files beside the binary.
    expect(readdirSync(join(installed, "node_modules", "better-sqlite3", "build", "Release"))).toEqual([
      "better_sqlite3.node",
    ]);
  });

  it("installs `./herdctl-0.1.0.tgz` globally offline: the dashboard's built client ships, no workspace dependency", () => {
    expect(install.global.status, install.global.stderr).toBe(0);
    const pkg = installed;
    expect(existsSync(join(pkg, "dist", "client", "index.html"))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith("@herdctl/"))).toEqual([]);
  });

  it("the global command says its version and claude's and the SDK's as installed beside it", async () => {
    const r = await installedHerdctl(["--version"], fleet.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual([
      "herdctl 0.1.0",
      `@anthropic-ai/claude-code ${lock["node_modules/@anthropic-ai/claude-code"]?.version}`,
      `@anthropic-ai/claude-agent-sdk ${lock["node_modules/@anthropic-ai/claude-agent-sdk"]?.version}`,
    ]);
  });

  it("creates a fleet, runs it offline, answers a trigger and serves its dashboard", async () => {
    const init = await installedHerdctl(["init", "fleet", "--yes", "--name", "packaged"], fleet.dir);
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(fleet.dir, "herdctl.yaml"), "utf8")).toContain('name: "packaged"');

    const port = await freePort();
    let daemon: ChildProcess | undefined;
    try {
      daemon = spawn(bin, ["start", "--offline", "--web", "--web-port", String(port)], {
        cwd: fleet.dir,
        env: cleanEnv(),
        stdio: "ignore",
      });
      await until(
        () => existsSync(join(fleet.dir, ".herdctl", "herdctl.sock")),
        "the daemon's control socket",
      );
      const trigger = await installedHerdctl(
        ["--json", "trigger", "assistant", "--wait", "-p", "packaged hello"],
        fleet.dir,
      );
      expect(trigger.code, trigger.stderr).toBe(0);
      const job = JSON.parse(trigger.stdout) as { status: string; offline: boolean; summary: string };
      expect(job).toMatchObject({ status: "completed", offline: true });
      expect(job.summary).toContain("packaged hello");

      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(await health.json()).toMatchObject({ ok: true, state: "running" });
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      const packagedIndex = readFileSync(join(installed, "dist", "client", "index.html"), "utf8");
      expect(page).toBe(packagedIndex);
    } finally {
      if (daemon) await stopDaemon(daemon);
    }
  });
});
