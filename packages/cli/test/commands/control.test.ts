import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";

// start / status / trigger-through-the-daemon / stop, against a real `herdctl start --offline`.
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;
let daemonOut = "";
const hooksPort = 20_000 + Math.floor(Math.random() * 20_000);

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-control-"));
  await writeFleet(dir);
  await appendFile(
    join(dir, "herdctl.yaml"),
    `webhooks: { enabled: true, host: 127.0.0.1, port: ${hooksPort} }\n`,
  );
  await writeFile(
    join(dir, "agents", "greeter.yaml"),
    "name: greeter\nworking_directory: ../workspace\ndefault_prompt: Say hello.\n" +
      "schedules:\n  hourly: { type: interval, interval: 1h, start_delay: 1h }\n",
  );
  daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm"], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  daemon.stdout?.on("data", (d) => (daemonOut += d));
  daemon.stderr?.on("data", (d) => (daemonOut += d));
  // The summary ends with this line once the socket and the web server are up.
  await until(() => daemonOut.includes("Ctrl-C to stop"), "the daemon's start summary");
  expect(existsSync(join(dir, ".herdctl", "herdctl.sock"))).toBe(true);
});
afterAll(async () => {
  if (daemon.exitCode === null) daemon.kill("SIGKILL");
  await remove();
});

describe("daemon control through the CLI", () => {
  it("start prints a summary with schedules and next fire times, labelled offline", () => {
    expect(daemonOut).toContain("OFFLINE: replies come from herdctl's built-in stand-in");
    expect(daemonOut).toMatch(/fleet testfleet running \(pid \d+\) · 2 agents/);
    expect(daemonOut).toMatch(/hourly: every 1h · first run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 1h\)/);
  });

  it("webhooks.enabled serves the web server on webhooks.host/port without web.enabled", async () => {
    expect(daemonOut).toContain(`dashboard: http://127.0.0.1:${hooksPort}`);
    const res = await fetch(`http://127.0.0.1:${hooksPort}/api/health`);
    expect(res.status).toBe(200);
  });

  it("status --json describes the running fleet, and one agent", async () => {
    const fleet = json<{ state: string; pid: number; offline: boolean; agents: Array<{ name: string }> }>(
      await herdctl(["status", "--json"], { cwd: dir }),
    );
    expect(fleet).toMatchObject({ state: "running", pid: daemon.pid, offline: true });
    expect(fleet.agents.map((a) => a.name)).toEqual(["greeter", "scribe"]);
    const agent = json(await herdctl(["status", "greeter", "--json"], { cwd: dir }));
    expect(agent).toMatchObject({
      name: "greeter",
      runtime: "cli",
      schedules: [{ name: "hourly", when: "every 1h" }],
    });
    const human = await herdctl(["status"], { cwd: dir });
    expect(human.stdout).toMatch(/^fleet testfleet running · pid \d+/);
    expect(human.stdout).toMatch(/greeter\s+cli\s+0\s+0\s+in 1h/);
  });

  it("trigger goes through the daemon: --wait streams and ends completed, without --wait prints the id", async () => {
    const waited = await herdctl(["trigger", "scribe", "--wait", "--json"], { cwd: dir });
    expect(waited.code).toBe(0);
    expect(json(waited)).toMatchObject({ agent: "scribe", status: "completed", triggerType: "manual" });
    const quick = await herdctl(["trigger", "greeter"], { cwd: dir });
    expect(quick.code).toBe(0);
    expect(quick.stdout).toMatch(/^job-\d{14}-[a-z0-9]{6} (queued|running)\n$/);
  });

  it("trigger names the nearest agents for an unknown one", async () => {
    const r = await herdctl(["trigger", "greter"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Agent "greter" not found. Did you mean: greeter? Available agents: greeter, scribe',
    );
  });

  it("stop ends the daemon gracefully; status then reports it stopped; a second stop says none runs", async () => {
    const stopped = await herdctl(["stop", "--json"], { cwd: dir });
    expect(stopped.code).toBe(0);
    expect(json(stopped)).toEqual({ stopped: true, pid: daemon.pid });
    await until(() => daemon.exitCode !== null, "the daemon's exit");
    expect(daemon.exitCode).toBe(0);
    expect(existsSync(join(dir, ".herdctl", "herdctl.lock"))).toBe(false);
    const status = json<{ state: string }>(await herdctl(["status", "--json"], { cwd: dir }));
    expect(status.state).toBe("stopped");
    const again = await herdctl(["stop"], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`herdctl: no herdctl daemon is running for ${join(dir, ".herdctl")}\n`);
  });
});

describe("config commands", () => {
  it("config show redacts secrets, config validate lists every problem with its position", async () => {
    const { dir: d, remove: rm } = await tempDir("herdctl-config-");
    try {
      await writeFleet(d);
      await writeFile(
        join(d, "agents", "scribe.yaml"),
        "name: scribe\nworking_directory: ../workspace\nenv:\n  GITHUB_TOKEN: ghp_verysecretvalue123\n",
      );
      const shown = await herdctl(["config", "show", "--json"], { cwd: d });
      expect(shown.code).toBe(0);
      expect(shown.stdout).not.toContain("ghp_verysecretvalue123");
      expect(shown.stdout).toContain("[redacted]");

      await writeFile(
        join(d, "agents", "scribe.yaml"),
        "name: scribe\nmodle: x\nschedules:\n  a: { type: interval, interval: soon }\n",
      );
      const bad = await herdctl(["config", "validate"], { cwd: d });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("agents/scribe.yaml:2:1 modle:");
      expect(bad.stderr).toContain("agents/scribe.yaml:4:");
      expect(bad.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await rm();
    }
  });
});
