import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveClaudeBinary, StateManager } from "@herdctl/core/internal";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAlive } from "../../../test/setup/process-alive.js";

const CLI = fileURLToPath(new URL("../dist/herdctl.cjs", import.meta.url));

/** Running, not merely present: a killed process stays a zombie until its parent reaps it. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function until<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - t0 > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads the daemon's database from outside, as another process would. */
function withState<T>(dir: string, fn: (s: StateManager) => T): T {
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  try {
    return fn(state);
  } finally {
    state.close();
  }
}

describe("daemon crash recovery (built CLI, SIGKILL)", () => {
  let dir: string;
  const daemons: ChildProcess[] = [];
  const env = { ...process.env, NO_COLOR: "1", CLAUDE_CONFIG_DIR: "" };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "herdctl-crash-"));
    env.CLAUDE_CONFIG_DIR = join(dir, "claude-config");
    mkdirSync(join(dir, "agents"));
    mkdirSync(join(dir, "workspace"));
    // Only the first test's fleet has ticker (fleetWith): its claude every second would only
    // cost CPU in the others.
    fleetWith("hanger");
    writeFileSync(
      join(dir, "agents", "hanger.yaml"),
      "name: hanger\nworking_directory: ../workspace\nruntime: cli\n",
    );
    writeFileSync(
      join(dir, "agents", "ticker.yaml"),
      "name: ticker\nworking_directory: ../workspace\nruntime: cli\nschedules:\n  tick: { type: interval, interval: 1s, prompt: tick }\n",
    );
  });
  afterEach(() => {
    for (const d of daemons) if (d.exitCode === null) d.kill("SIGKILL");
    daemons.length = 0;
    rmSync(dir, { recursive: true, force: true });
  });

  function fleetWith(...agents: string[]): void {
    writeFileSync(
      join(dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: crash }\nagents:\n${agents.map((a) => `  - path: ./agents/${a}.yaml\n`).join("")}`,
    );
  }

  function startDaemon(): ChildProcess {
    const child = spawn(process.execPath, [CLI, "start", "-c", dir, "--offline", "--no-warm"], {
      env,
      stdio: "ignore",
    });
    daemons.push(child);
    return child;
  }

  function cli(...args: string[]) {
    return spawnSync(process.execPath, [CLI, "-c", dir, ...args], { env, encoding: "utf8" });
  }

  it("marks the running job interrupted, kills its claude and resumes schedules after SIGKILL", async () => {
    fleetWith("hanger", "ticker");
    const daemon = startDaemon();
    await until(() => (existsSync(join(dir, ".herdctl", "herdctl.sock")) ? true : undefined));
    const triggered = cli("trigger", "hanger", "-p", "wait for me\n@standin hang", "--json");
    expect(triggered.status).toBe(0);
    const jobId = JSON.parse(triggered.stdout).id as string;
    const pid = await until(() => withState(dir, (s) => s.jobs.require(jobId).pid ?? undefined));
    expect(isAlive(pid)).toBe(true);

    daemon.kill("SIGKILL");
    await until(() => (daemon.exitCode !== null || daemon.signalCode !== null ? true : undefined));
    // claude runs in its own process group, so it outlives the daemon: recovery must end it.
    expect(isAlive(pid)).toBe(true);
    const crashedAt = new Date().toISOString();

    startDaemon();
    const job = await until(() => {
      const j = withState(dir, (s) => s.jobs.require(jobId));
      return j.status === "interrupted" ? j : undefined;
    });
    expect(job.exitReason).toBe("interrupted");
    expect(job.error).toContain("herdctl stopped unexpectedly");
    await until(() => (isAlive(pid) ? undefined : true), 5000);

    const ticks = await until(() => {
      const after = withState(dir, (s) => s.jobs.list({ agent: "ticker", since: crashedAt }).jobs);
      return after.some((j) => j.status === "completed") ? after : undefined;
    });
    expect(ticks[0]?.triggerType).toBe("schedule");
    expect(withState(dir, (s) => s.integrityCheck())).toEqual([]);

    const stopped = cli("stop", "--timeout", "5");
    expect(stopped.status).toBe(0);
  });

  it("kills every process of a job started through a claude_path wrapper, after SIGKILL and restart", async () => {
    // A node wrapper (its command line never says "claude") that runs the real claude and a helper.
    const wrapper = join(dir, "wrapper.mjs");
    writeFileSync(
      wrapper,
      [
        "#!/usr/bin/env node",
        'import { spawn } from "node:child_process";',
        'import { writeFileSync } from "node:fs";',
        `const claude = spawn(${JSON.stringify(resolveClaudeBinary(undefined, { PATH: "" }))}, process.argv.slice(2), { stdio: "inherit" });`,
        'const helper = spawn("sleep", ["600"], { stdio: "ignore" });',
        `writeFileSync(${JSON.stringify(join(dir, "wrapper.pids"))}, [process.pid, claude.pid, helper.pid].join(" "));`,
        'claude.on("exit", (code) => process.exit(code ?? 1));',
        "",
      ].join("\n"),
    );
    chmodSync(wrapper, 0o755);
    writeFileSync(
      join(dir, "herdctl.yaml"),
      "version: 1\nfleet: { name: crash }\ndefaults: { claude_path: ./wrapper.mjs }\nagents:\n  - path: ./agents/hanger.yaml\n",
    );
    const daemon = startDaemon();
    await until(() => (existsSync(join(dir, ".herdctl", "herdctl.sock")) ? true : undefined));
    const triggered = cli("trigger", "hanger", "-p", "wait for me\n@standin hang", "--json");
    expect(triggered.status).toBe(0);
    const jobId = JSON.parse(triggered.stdout).id as string;
    await until(() => withState(dir, (s) => s.jobs.require(jobId).processGroup ?? undefined));
    const pids = await until(() => {
      const text = existsSync(join(dir, "wrapper.pids"))
        ? readFileSync(join(dir, "wrapper.pids"), "utf8")
        : "";
      return text ? text.split(" ").map(Number) : undefined;
    });
    expect(pids.every(isRunning)).toBe(true);

    daemon.kill("SIGKILL");
    await until(() => (daemon.exitCode !== null || daemon.signalCode !== null ? true : undefined));
    expect(pids.every(isRunning)).toBe(true);

    startDaemon();
    await until(() =>
      withState(dir, (s) => s.jobs.require(jobId).status) === "interrupted" ? true : undefined,
    );
    await until(() => (pids.some(isRunning) ? undefined : true), 5000);
    expect(cli("stop", "--timeout", "5").status).toBe(0);
  });

  it("re-runs an interrupted job on its session when the agent says on_interrupt: resume", async () => {
    writeFileSync(
      join(dir, "agents", "hanger.yaml"),
      "name: hanger\nworking_directory: ../workspace\nruntime: cli\non_interrupt: resume\n",
    );
    const daemon = startDaemon();
    await until(() => (existsSync(join(dir, ".herdctl", "herdctl.sock")) ? true : undefined));
    const triggered = cli("trigger", "hanger", "-p", "long task\n@standin hang", "--json");
    const jobId = JSON.parse(triggered.stdout).id as string;
    await until(() => withState(dir, (s) => s.jobs.require(jobId).pid ?? undefined));
    daemon.kill("SIGKILL");
    await until(() => (daemon.exitCode !== null || daemon.signalCode !== null ? true : undefined));

    startDaemon();
    const resumed = await until(() => {
      const jobs = withState(dir, (s) => s.jobs.list({ agent: "hanger" }).jobs);
      const r = jobs.find((j) => j.resumedFrom === jobId);
      return r && r.status === "completed" ? r : undefined;
    });
    expect(resumed.triggerType).toBe("resume");
    expect(withState(dir, (s) => s.jobs.require(jobId).status)).toBe("interrupted");
    expect(cli("stop", "--timeout", "5").status).toBe(0);
  });

  it("refuses a second daemon on the same state directory, naming the running pid", async () => {
    const first = startDaemon();
    await until(() => (existsSync(join(dir, ".herdctl", "herdctl.sock")) ? true : undefined));
    const second = spawnSync(process.execPath, [CLI, "start", "-c", dir, "--offline", "--no-warm"], {
      env,
      encoding: "utf8",
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(String(first.pid));
    expect(cli("stop").status).toBe(0);
  });
});
