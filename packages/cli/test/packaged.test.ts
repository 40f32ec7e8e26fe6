import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, type CliResult, cleanEnv, freePort, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { installOffline, type LockEntry, type OfflineInstall, packRelease } from "./helpers/release.js";

/**
 * The release as a user gets it, installed for real with no network: `scripts/pack.mjs` tarballs,
 * `npm install --offline ./herdctl-*.tgz` in the release folder (beside its lock) and
 * `npm install -g --offline` of the installed herdctl into a temporary prefix, inside a network
 * namespace holding only loopback
 * (helpers/install-offline.mjs, run under `unshare --net`), npm's cache as the only source of
 * packages and the release's `prebuilds/` served on 127.0.0.1 as the mirror better-sqlite3's
 * installer fetches its binary from (docs/operating.md). Then the globally installed `herdctl`,
 * outside any repository: --version, init, and `start --offline` answering a trigger and serving
 * the dashboard it carries. Anthropic is faked (the built-in offline stand-in).
 */

let release: { dir: string; remove: () => Promise<void> };
let scratch: { dir: string; remove: () => Promise<void> };
let fleet: { dir: string; remove: () => Promise<void> };
let files: string[];
let lock: Record<string, LockEntry>;
let manifest: string;
let install: OfflineInstall;
let bin: string;

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

beforeAll(async () => {
  assertBuilt();
  release = await tempDir("herdctl-release-");
  scratch = await tempDir("herdctl-installed-");
  fleet = await tempDir("herdctl-packaged-fleet-");
  files = await packRelease(release.dir);
  lock = JSON.parse(readFileSync(join(release.dir, "package-lock.json"), "utf8")).packages;
  manifest = readFileSync(join(release.dir, "package.json"), "utf8");
  install = await installOffline(release.dir, scratch.dir);
  bin = join(scratch.dir, "global", "bin", "herdctl");
}, 600_000);

afterAll(async () => {
  await Promise.all([release?.remove(), scratch?.remove(), fleet?.remove()]);
});

describe("the packed release, installed offline outside the repository", () => {
  it("packs four tarballs, a lock that installs them from npm's cache and better-sqlite3's binary", () => {
    const abi = process.versions.modules;
    expect(files.map((f) => f.slice(release.dir.length + 1)).sort()).toEqual([
      "herdctl-0.1.0.tgz",
      "herdctl-core-0.1.0.tgz",
      "herdctl-standin-0.1.0.tgz",
      "herdctl-web-0.1.0.tgz",
      "package-lock.json",
      "package.json",
      `prebuilds/v${lock["node_modules/better-sqlite3"]?.version}/better-sqlite3-v${lock["node_modules/better-sqlite3"]?.version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`,
    ]);
    // Every registry package is pinned with its integrity and tarball address, which is what lets
    // `npm install --offline` in the folder take it from the cache by hash without registry metadata.
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

  it("installs `./herdctl-*.tgz` with npm's cache and the binary mirror alone, no compiler, and every install script decided", () => {
    expect(install.tarballs).toEqual([
      "./herdctl-0.1.0.tgz",
      "./herdctl-core-0.1.0.tgz",
      "./herdctl-standin-0.1.0.tgz",
      "./herdctl-web-0.1.0.tgz",
    ]);
    expect(install.local.status, install.local.stderr).toBe(0);
    // npm 11 warns about install scripts the folder's allowScripts does not decide.
    expect(install.local.stderr).not.toMatch(/install-scripts/);
    // The tarballs are the ones the folder already names, so npm installs exactly what its lock
    // pins. (npm rewrites the lock itself in its own key order, and drops registry addresses
    // where it is configured to, `omit-lockfile-registry-resolved`.)
    expect(readFileSync(join(release.dir, "package.json"), "utf8")).toBe(manifest);
    const pinned = (entries: Record<string, LockEntry>) =>
      Object.entries(entries).map(([path, { version, integrity }]) => [path, version, integrity]);
    const after = JSON.parse(readFileSync(join(release.dir, "package-lock.json"), "utf8")).packages;
    expect(pinned(after)).toEqual(pinned(lock));
    expect(install.global?.status, install.global?.stderr).toBe(0);
    const version = lock["node_modules/better-sqlite3"]?.version;
    expect(install.requests).toEqual([
      `/v${version}/better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`,
    ]);
    const installed = join(release.dir, "node_modules");
    // Fetched, not compiled: node-gyp would have left its object files beside the binary.
    expect(readdirSync(join(installed, "better-sqlite3", "build", "Release"))).toEqual([
      "better_sqlite3.node",
    ]);
    // ssh2's optional native speed-up is denied by the release's allowScripts, so not built.
    expect(existsSync(join(installed, "ssh2", "lib", "protocol", "crypto", "build"))).toBe(false);
  });

  it("without the release's lock, npm needs registry metadata that an offline cache does not hold", () => {
    // npm 11 resolves every dependency of a local tarball from the registry's metadata: it reads a
    // package's npm-shrinkwrap.json only when the registry says the package has one, never from a
    // tarball on disk, and a global install reads no lock at all (docs/operating.md).
    for (const dry of [install.empty, install.globalTarball]) {
      expect(dry.status, dry.stdout).not.toBe(0);
      expect(dry.stderr).toMatch(/ENOTCACHED/);
    }
  });

  it("ships the dashboard's built client and no workspace dependency in the herdctl package", () => {
    const pkg = join(release.dir, "node_modules", "herdctl");
    expect(existsSync(join(pkg, "dist", "client", "index.html"))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith("@herdctl/"))).toEqual([]);
  });

  it("says its version and claude's and the SDK's as installed beside it", async () => {
    const r = await installedHerdctl(["--version"], fleet.dir);
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
      const packagedIndex = readFileSync(
        join(release.dir, "node_modules", "herdctl", "dist", "client", "index.html"),
        "utf8",
      );
      expect(page).toBe(packagedIndex);
    } finally {
      if (daemon) await stopDaemon(daemon);
    }
  });
});
