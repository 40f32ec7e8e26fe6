import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidIdError, StateNotOpenError } from "../../src/state/errors.js";
import { StateManager } from "../../src/state/manager.js";
import { caught, openState, tempDir } from "./helpers.js";

describe("StateManager", () => {
  it("names every file under the state directory", () => {
    const state = new StateManager("some/.herdctl");
    const dir = resolve("some/.herdctl");
    expect(state.stateDir).toBe(dir);
    expect(state.dbPath).toBe(join(dir, "herdctl.db"));
    expect(state.jobsDir).toBe(join(dir, "jobs"));
    expect(state.dockerSessionsDir).toBe(join(dir, "docker-sessions"));
    expect(state.socketPath).toBe(join(dir, "herdctl.sock"));
    expect(state.lockPath).toBe(join(dir, "herdctl.lock"));
    expect(state.jobOutputPath("job-20250102030405-abc123")).toBe(
      join(dir, "jobs", "job-20250102030405-abc123.jsonl"),
    );
    expect(state.agentDockerSessionsDir("team.triager")).toBe(join(dir, "docker-sessions", "team.triager"));
    expect(existsSync(dir)).toBe(false);
  });

  it("creates its directories and database on open", () => {
    const dir = join(tempDir(), "nested", ".herdctl");
    const state = new StateManager(dir);
    state.open();
    state.open();
    try {
      expect(statSync(state.jobsDir).isDirectory()).toBe(true);
      expect(statSync(state.dockerSessionsDir).isDirectory()).toBe(true);
      expect(readdirSync(dir).sort()).toEqual([
        "docker-sessions",
        "herdctl.db",
        "herdctl.db-shm",
        "herdctl.db-wal",
        "jobs",
      ]);
      expect(state.isOpen).toBe(true);
    } finally {
      state.close();
      state.close();
    }
    expect(state.isOpen).toBe(false);
  });

  it("rejects ids that could escape the state directory before building a path", () => {
    const dir = join(tempDir(), ".herdctl");
    const state = new StateManager(dir);
    for (const id of ["../etc", "../../etc/passwd", "job-20250102030405-abc123/../../x"]) {
      expect(caught(() => state.jobOutputPath(id))).toBeInstanceOf(InvalidIdError);
      expect(caught(() => state.appendJobOutput(id, {}))).toBeInstanceOf(InvalidIdError);
    }
    for (const agent of ["../etc", "a/b", ".", ".."]) {
      expect(caught(() => state.agentDockerSessionsDir(agent))).toBeInstanceOf(InvalidIdError);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it("refuses repository access before open, with what to do", () => {
    const state = new StateManager(join(tempDir(), ".herdctl"));
    const error = caught(() => state.jobs);
    expect(error).toBeInstanceOf(StateNotOpenError);
    expect(error.code).toBe("STATE_NOT_OPEN");
    expect(error.message).toBe(`State store ${state.stateDir} is not open: call open() before using it.`);
    expect(caught(() => state.integrityCheck())).toBeInstanceOf(StateNotOpenError);
  });

  it("keeps everything across close and reopen", () => {
    const { state } = openState();
    const job = state.jobs.create({ agent: "a", triggerType: "web", prompt: "hi", runtime: "sdk" });
    state.schedules.upsert("a", "poll", { lastStatus: "completed" });
    state.close();
    state.open();
    expect(state.jobs.require(job.id)).toEqual(job);
    expect(state.schedules.get("a", "poll")?.lastStatus).toBe("completed");
  });

  it("commits a transaction's writes together or not at all", () => {
    const { state } = openState();
    const error = caught(() =>
      state.transaction(() => {
        state.jobs.create({ agent: "a", triggerType: "manual", prompt: "1", runtime: "cli" });
        state.events.append({ type: "job:created", agent: "a" });
        throw new Error("abandon");
      }),
    );
    expect(error.message).toBe("abandon");
    expect(state.jobs.list().jobs).toEqual([]);
    expect(state.events.list()).toEqual([]);

    state.transaction(() => {
      state.jobs.create({ agent: "a", triggerType: "manual", prompt: "2", runtime: "cli" });
      state.events.append({ type: "job:created", agent: "a" });
    });
    expect(state.jobs.list().jobs).toHaveLength(1);
    expect(state.events.list()).toHaveLength(1);
  });
});
