import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateManager } from "../../src/state/manager.js";
import { tempDir } from "./helpers.js";

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Opens the state, writes one job with output and takes the lock: every kind of file exists. */
function populate(
  dir: string,
  notices: string[],
): { state: StateManager; jobId: string; release: () => void } {
  const state = new StateManager(dir, { notice: (m) => notices.push(m) });
  const lock = state.acquireLock();
  state.open();
  const job = state.jobs.create({ agent: "a", triggerType: "manual", prompt: "secret plan", runtime: "cli" });
  state.appendJobOutput(job.id, { type: "assistant", text: "private output" });
  return { state, jobId: job.id, release: () => lock.release() };
}

describe("state directory permissions", () => {
  it("creates a fresh state private to its owner: folders 0700, files 0600", () => {
    const dir = join(tempDir(), ".herdctl");
    const notices: string[] = [];
    const { state, jobId, release } = populate(dir, notices);
    try {
      expect(existsSync(`${state.dbPath}-wal`)).toBe(true);
      expect({
        state: mode(dir),
        jobs: mode(state.jobsDir),
        dockerSessions: mode(state.dockerSessionsDir),
        db: mode(state.dbPath),
        wal: mode(`${state.dbPath}-wal`),
        shm: mode(`${state.dbPath}-shm`),
        lock: mode(state.lockPath),
        output: mode(state.jobOutputPath(jobId)),
      }).toEqual({
        state: "700",
        jobs: "700",
        dockerSessions: "700",
        db: "600",
        wal: "600",
        shm: "600",
        lock: "600",
        output: "600",
      });
      expect(notices).toEqual([]);
    } finally {
      state.close();
      release();
    }
  });

  it("tightens a loose existing state once, with one notice naming what changed", () => {
    const dir = join(tempDir(), ".herdctl");
    const first = populate(dir, []);
    first.state.close();
    first.release();
    const agentSessions = join(dir, "docker-sessions", "boxed");
    mkdirSync(agentSessions, { mode: 0o755 });
    writeFileSync(join(dir, "jobs", "notes.txt"), "not job output");
    // What an older herdctl left behind under umask 022.
    for (const path of [dir, join(dir, "jobs"), join(dir, "docker-sessions"), agentSessions])
      chmodSync(path, 0o755);
    for (const path of [join(dir, "herdctl.db"), first.state.jobOutputPath(first.jobId)])
      chmodSync(path, 0o644);
    chmodSync(join(dir, "jobs", "notes.txt"), 0o644);

    const notices: string[] = [];
    const again = new StateManager(dir, { notice: (m) => notices.push(m) });
    again.open();
    again.close();
    expect(notices).toEqual([
      `made ${dir} private to its owner (other local users could read prompts and output): removed group ` +
        "and other access from ./, herdctl.db, jobs/, 1 job output file, docker-sessions/, docker-sessions/boxed/",
    ]);
    expect([dir, join(dir, "jobs"), join(dir, "docker-sessions"), agentSessions].map(mode)).toEqual([
      "700",
      "700",
      "700",
      "700",
    ]);
    expect([join(dir, "herdctl.db"), first.state.jobOutputPath(first.jobId)].map(mode)).toEqual([
      "600",
      "600",
    ]);
    // Only herdctl's own files are touched.
    expect(mode(join(dir, "jobs", "notes.txt"))).toBe("644");

    const quiet: string[] = [];
    const third = new StateManager(dir, { notice: (m) => quiet.push(m) });
    third.open();
    third.close();
    expect(quiet).toEqual([]);
  });
});
