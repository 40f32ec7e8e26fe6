import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { recoverFromCrash } from "../../src/fleet-manager/recovery.js";
import { readProcessGroup } from "../../src/runner/runtime/process-group.js";
import type { StateManager } from "../../src/state/index.js";
import { openState } from "../state/helpers.js";

const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
  }
});

/** Running, not merely present: a killed child of ours stays a zombie until Node reaps it. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function sessionMembers(sid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]) === sid && isRunning(pid);
      } catch {
        return false;
      }
    });
}

async function until<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A process group and session of its own, as the host launcher starts claude. */
function startDetached(script: string): ChildProcess {
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  started.push(child);
  return child;
}

function runningJob(state: StateManager, pid: number, processGroup: ReturnType<typeof readProcessGroup>) {
  const job = state.jobs.create({ agent: "worker", triggerType: "manual", prompt: "p", runtime: "cli" });
  state.jobs.start(job.id);
  state.jobs.update(job.id, { pid, processGroup: processGroup ?? null });
  return job.id;
}

describe("crash recovery", () => {
  it("kills every process of the job's session, whatever its command, including its own sub-groups", async () => {
    const { state } = openState();
    // A wrapper (sh, not claude) with a child in its group and one that moved to a group of its own.
    const leader = startDetached("sleep 300 & perl -e 'setpgrp(0, 0); sleep 300' & wait");
    const pid = leader.pid!;
    const members = await until(() => {
      const m = sessionMembers(pid);
      return m.length === 3 ? m : undefined;
    });
    const jobId = runningJob(state, pid, readProcessGroup(pid));

    const report = await recoverFromCrash(state, "fleet", undefined, () => {});

    expect(report.killedPids.sort()).toEqual(members.sort());
    await until(() => (members.some(isRunning) ? undefined : true));
    expect(state.jobs.require(jobId).status).toBe("interrupted");
  });

  it("leaves a recycled pid alone: the recorded start time no longer matches", async () => {
    const { state } = openState();
    const stranger = startDetached("sleep 300");
    const pid = stranger.pid!;
    await until(() => (isRunning(pid) ? true : undefined));
    const actual = readProcessGroup(pid)!;
    const jobId = runningJob(state, pid, { ...actual, startTicks: actual.startTicks - 1 });

    const report = await recoverFromCrash(state, "fleet", undefined, () => {});

    expect(report.killedPids).toEqual([]);
    expect(isRunning(pid)).toBe(true);
    expect(state.jobs.require(jobId).status).toBe("interrupted");
  });

  it("leaves a pid recorded without an identity alone, and says so", async () => {
    const { state } = openState();
    const pid = startDetached("sleep 300").pid!;
    await until(() => (isRunning(pid) ? true : undefined));
    const jobId = runningJob(state, pid, undefined);
    const lines: string[] = [];

    const report = await recoverFromCrash(state, "fleet", undefined, (line) => lines.push(line));

    expect(report.killedPids).toEqual([]);
    expect(isRunning(pid)).toBe(true);
    expect(lines).toContain(
      `job ${jobId}: process ${pid} was recorded without its start time, so it was left running ` +
        "(the pid may belong to another program by now); end it yourself if it is still claude",
    );
  });

  it("leaves processes alone when the identity is from another boot", async () => {
    const { state } = openState();
    const pid = startDetached("sleep 300").pid!;
    await until(() => (isRunning(pid) ? true : undefined));
    const actual = readProcessGroup(pid)!;
    runningJob(state, pid, { ...actual, bootId: "00000000-0000-0000-0000-000000000000" });

    const report = await recoverFromCrash(state, "fleet", undefined, () => {});

    expect(report.killedPids).toEqual([]);
    expect(isRunning(pid)).toBe(true);
  });
});
