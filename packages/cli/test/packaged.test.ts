import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, type CliResult, cleanEnv, freePort, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { layOut, packRelease } from "./helpers/release.js";

/**
 * The release as a user gets it: `scripts/pack.mjs` tarballs, laid out from the release's own
 * package-lock.json in a folder outside the repository, then the installed `herdctl` run from
 * there: --version, init, and `start --offline` answering a trigger and serving the dashboard it
 * carries. Anthropic is faked (the built-in offline stand-in). The real `npm ci --offline` and
 * global install of the same folder are bench/packaged-install.ts (they take minutes).
 */

let release: { dir: string; remove: () => Promise<void> };
let installed: { dir: string; remove: () => Promise<void> };
let fleet: { dir: string; remove: () => Promise<void> };
let files: string[];
let lock: Awaited<ReturnType<typeof layOut>>;
let bin: string;

function installedHerdctl(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
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
  installed = await tempDir("herdctl-installed-");
  fleet = await tempDir("herdctl-packaged-fleet-");
  files = await packRelease(release.dir);
  lock = await layOut(release.dir, installed.dir);
  bin = join(installed.dir, "node_modules", "herdctl", "bin", "herdctl.js");
}, 240_000);

afterAll(async () => {
  await Promise.all([release?.remove(), installed?.remove(), fleet?.remove()]);
});

describe("the packed release, installed outside the repository", () => {
  it("packs four tarballs and a lock that installs them from npm's cache", () => {
    expect(files.map((f) => f.slice(release.dir.length + 1)).sort()).toEqual([
      "herdctl-0.1.0.tgz",
      "herdctl-core-0.1.0.tgz",
      "herdctl-standin-0.1.0.tgz",
      "herdctl-web-0.1.0.tgz",
      "package-lock.json",
      "package.json",
    ]);
    // Every registry package is pinned with its integrity, which is what lets `npm ci --offline`
    // take it from the cache without registry metadata.
    const unpinned = Object.entries(lock).filter(
      ([path, entry]) => path !== "" && !(entry.version && entry.integrity?.startsWith("sha512-")),
    );
    expect(unpinned).toEqual([]);
    expect(lock["node_modules/herdctl"]?.resolved).toBe("file:herdctl-0.1.0.tgz");
    expect(lock["node_modules/better-sqlite3"]?.version).toMatch(/^12\./);
  });

  it("ships the dashboard's built client and no workspace dependency in the herdctl package", () => {
    const pkg = join(installed.dir, "node_modules", "herdctl");
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
      daemon = spawn(process.execPath, [bin, "start", "--offline", "--web", "--web-port", String(port)], {
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
        join(installed.dir, "node_modules", "herdctl", "dist", "client", "index.html"),
        "utf8",
      );
      expect(page).toBe(packagedIndex);
    } finally {
      if (daemon) await stopDaemon(daemon);
    }
  });
});
