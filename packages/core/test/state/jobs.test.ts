import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { InvalidIdError, InvalidTransitionError, JobNotFoundError } from "../../src/state/errors.js";
import { buildJobListQuery, type JobListQuery } from "../../src/state/job-query.js";
import type { NewJob } from "../../src/state/job-record.js";
import type { StateManager } from "../../src/state/manager.js";
import { SyncPgClient } from "../../src/state/pg/sync-client.js";
import { caught, describeBackends, openState } from "./helpers.js";

const SESSION = "123e4567-e89b-12d3-a456-426614174000";

function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    agent: "triager",
    triggerType: "manual",
    prompt: "Triage new issues.",
    runtime: "cli",
    ...overrides,
  };
}

describeBackends("JobRepository: create and read", () => {
  it("creates a queued job with a minted id and the clock's time", () => {
    const { state } = openState();
    const job = state.jobs.create(newJob({ schedule: "morning", triggerType: "schedule", docker: true }));
    expect(job).toEqual({
      id: expect.stringMatching(/^job-20250102030405-[a-z0-9]{6}$/),
      agent: "triager",
      schedule: "morning",
      triggerType: "schedule",
      status: "queued",
      exitReason: null,
      error: null,
      prompt: "Triage new issues.",
      summary: null,
      sessionId: null,
      resumedFrom: null,
      forkedFrom: null,
      runtime: "cli",
      docker: true,
      offline: false,
      pid: null,
      processGroup: null,
      containerId: null,
      createdAt: "2025-01-02T03:04:05.000Z",
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      numTurns: null,
      inputTokens: null,
      outputTokens: null,
      cacheReadTokens: null,
      cacheCreationTokens: null,
      costUsd: null,
      usage: null,
      hookErrors: null,
      attempt: 1,
      retryOf: null,
      nextRetryAt: null,
      apiErrorKind: null,
      toolFailures: null,
      metadata: null,
      egress: null,
      workerId: null,
      cancelRequested: false,
    });
    expect(state.jobs.get(job.id)).toEqual(job);
  });

  it("returns undefined for an unknown id and names it when required", () => {
    const { state } = openState();
    expect(state.jobs.get("job-20250101000000-aaaaaa")).toBeUndefined();
    const error = caught(() => state.jobs.require("job-20250101000000-aaaaaa"));
    expect(error).toBeInstanceOf(JobNotFoundError);
    expect(error.code).toBe("STATE_JOB_NOT_FOUND");
    expect(error.message).toBe(
      "Job job-20250101000000-aaaaaa not found. List existing jobs with `herdctl jobs`.",
    );
  });

  it("validates agent names, ids and session ids", () => {
    const { state } = openState();
    expect(caught(() => state.jobs.create(newJob({ agent: "../etc" })))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.jobs.create(newJob({ id: "job-1" })))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.jobs.create(newJob({ sessionId: "abc" })))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.jobs.get("../../etc/passwd"))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.jobs.create(newJob({ triggerType: "cron" as never }))).message).toBe(
      'unknown trigger type "cron"',
    );
    expect(state.jobs.list().jobs).toEqual([]);
  });

  it("links a resumed job to the job it continues, which must exist", () => {
    const { state } = openState();
    const first = state.jobs.create(newJob({ sessionId: SESSION }));
    const second = state.jobs.create(
      newJob({ triggerType: "resume", sessionId: SESSION, resumedFrom: first.id }),
    );
    expect(second.resumedFrom).toBe(first.id);
    expect(
      caught(() => state.jobs.create(newJob({ resumedFrom: "job-20200101000000-zzzzzz" }))),
    ).toBeInstanceOf(JobNotFoundError);
  });
});

describeBackends("JobRepository: status transitions", () => {
  it("runs queued → running → completed, recording times, duration and usage", () => {
    const { state, clock } = openState();
    const { id } = state.jobs.create(newJob());
    clock.advance(1000);
    const running = state.jobs.start(id, { pid: 4242, sessionId: SESSION });
    expect(running).toMatchObject({
      status: "running",
      pid: 4242,
      sessionId: SESSION,
      startedAt: "2025-01-02T03:04:06.000Z",
    });
    expect(state.jobs.require(id)).toEqual(running);
    clock.advance(2500);
    const done = state.jobs.finish(id, {
      status: "completed",
      exitReason: "success",
      summary: "Labelled 3 issues.",
      numTurns: 4,
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 5,
      cacheCreationTokens: 7,
      costUsd: 0.0123,
      usage: { "claude-sonnet-4-5": { inputTokens: 100, outputTokens: 20, costUSD: 0.0123 } },
    });
    expect(done).toMatchObject({
      status: "completed",
      exitReason: "success",
      summary: "Labelled 3 issues.",
      finishedAt: "2025-01-02T03:04:08.500Z",
      durationMs: 2500,
      numTurns: 4,
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 5,
      cacheCreationTokens: 7,
      costUsd: 0.0123,
      usage: { "claude-sonnet-4-5": { inputTokens: 100, outputTokens: 20, costUSD: 0.0123 } },
    });
    expect(state.jobs.require(id)).toEqual(done);
  });

  it("cancels or interrupts a queued job without a duration", () => {
    const { state } = openState();
    const a = state.jobs.create(newJob());
    const b = state.jobs.create(newJob());
    expect(state.jobs.finish(a.id, { status: "cancelled", exitReason: "cancelled" })).toMatchObject({
      status: "cancelled",
      durationMs: null,
    });
    expect(state.jobs.finish(b.id, { status: "interrupted", exitReason: "interrupted" }).status).toBe(
      "interrupted",
    );
  });

  it.each(["failed", "cancelled", "timed_out", "interrupted"] as const)(
    "lets a running job end %s",
    (status) => {
      const { state } = openState();
      const { id } = state.jobs.create(newJob());
      state.jobs.start(id);
      expect(state.jobs.finish(id, { status, exitReason: "error", error: "boom" })).toMatchObject({
        status,
        error: "boom",
      });
    },
  );

  it("refuses to finish a queued job as completed", () => {
    const { state } = openState();
    const { id } = state.jobs.create(newJob());
    const error = caught(() => state.jobs.finish(id, { status: "completed", exitReason: "success" }));
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error.code).toBe("STATE_INVALID_TRANSITION");
    expect(error.message).toBe(
      `Job ${id} cannot go from queued to completed; from queued it can only become running, cancelled, interrupted.`,
    );
    expect(state.jobs.require(id).status).toBe("queued");
  });

  it("never changes the status of a finished job", () => {
    const { state } = openState();
    const { id } = state.jobs.create(newJob());
    state.jobs.start(id);
    const done = state.jobs.finish(id, { status: "completed", exitReason: "success" });
    const error = caught(() => state.jobs.start(id));
    expect(error.message).toBe(
      `Job ${id} is already completed, a final status; it cannot become running. ` +
        "Start a new job (or resume its session) instead.",
    );
    expect(caught(() => state.jobs.finish(id, { status: "failed", exitReason: "error" }))).toBeInstanceOf(
      InvalidTransitionError,
    );
    expect(state.jobs.require(id)).toEqual(done);
  });

  it("starting twice is refused", () => {
    const { state } = openState();
    const { id } = state.jobs.create(newJob());
    state.jobs.start(id);
    expect(caught(() => state.jobs.start(id)).message).toBe(
      `Job ${id} cannot go from running to running; from running it can only become ` +
        "completed, failed, cancelled, timed_out, interrupted, skipped, waiting_approval.",
    );
  });

  it("updates details after a job has finished, without touching its status", () => {
    const { state } = openState();
    const { id } = state.jobs.create(newJob());
    state.jobs.start(id, { containerId: "abc123" });
    state.jobs.finish(id, { status: "completed", exitReason: "success" });
    const updated = state.jobs.update(id, {
      hookErrors: [{ hook: "after_run[0]", message: "HTTP 500" }],
      pid: null,
    });
    expect(state.jobs.require(id)).toEqual(updated);
    expect(updated).toMatchObject({
      status: "completed",
      containerId: "abc123",
      hookErrors: [{ hook: "after_run[0]", message: "HTTP 500" }],
    });
    expect(caught(() => state.jobs.update("job-20250101000000-aaaaaa", { summary: "x" }))).toBeInstanceOf(
      JobNotFoundError,
    );
  });

  it("interrupts every unfinished job, e.g. after a daemon crash", () => {
    const { state } = openState();
    const queued = state.jobs.create(newJob());
    const running = state.jobs.create(newJob());
    state.jobs.start(running.id);
    const done = state.jobs.create(newJob());
    state.jobs.start(done.id);
    state.jobs.finish(done.id, { status: "completed", exitReason: "success" });

    expect(state.jobs.interruptUnfinished("herdctl stopped while the job ran").sort()).toEqual(
      [queued.id, running.id].sort(),
    );
    expect(state.jobs.require(running.id)).toMatchObject({
      status: "interrupted",
      exitReason: "interrupted",
      error: "herdctl stopped while the job ran",
    });
    expect(state.jobs.require(done.id).status).toBe("completed");
  });

  it("interrupts only one worker's unfinished jobs (and only the ids given), e.g. a PostgreSQL daemon back under its id", () => {
    const { state } = openState();
    const mine = state.jobs.create(newJob({ workerId: "daemon-a" }));
    state.jobs.start(mine.id);
    const mineQueued = state.jobs.create(newJob({ workerId: "daemon-a" }));
    const skipped = state.jobs.create(newJob({ workerId: "daemon-a" }));
    const theirs = state.jobs.create(newJob({ workerId: "daemon-b" }));
    state.jobs.start(theirs.id);
    const nobody = state.jobs.create(newJob());
    expect(state.jobs.require(mine.id).workerId).toBe("daemon-a");
    expect(
      state.jobs
        .unfinished({ workerId: "daemon-a" })
        .map((j) => j.id)
        .sort(),
    ).toEqual([mine.id, mineQueued.id, skipped.id].sort());

    const ids = state.jobs.interruptUnfinished("gone", {
      workerId: "daemon-a",
      ids: [mine.id, mineQueued.id, theirs.id],
    });
    expect(ids.sort()).toEqual([mine.id, mineQueued.id].sort());
    expect(state.jobs.require(mine.id)).toMatchObject({ status: "interrupted", error: "gone" });
    expect(state.jobs.require(skipped.id).status).toBe("queued");
    expect(state.jobs.require(theirs.id).status).toBe("running");
    expect(state.jobs.require(nobody.id).status).toBe("queued");
    expect(state.jobs.interruptUnfinished("gone", { workerId: "daemon-a", ids: [] })).toEqual([]);
  });
});

/** 60 jobs over 3 agents, one a minute, every third one failed. */
function seed(state: StateManager, advance: (ms: number) => void): string[] {
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    const job = state.jobs.create(newJob({ agent: ["alpha", "beta", "gamma"][i % 3]! }));
    state.jobs.start(job.id);
    state.jobs.finish(
      job.id,
      i % 3 === 2
        ? { status: "failed", exitReason: "error" }
        : { status: "completed", exitReason: "success" },
    );
    ids.push(job.id);
    advance(60_000);
  }
  return ids.reverse(); // newest first
}

function allPages(state: StateManager, query: JobListQuery): string[][] {
  const pages: string[][] = [];
  let before: string | undefined;
  for (;;) {
    const page = state.jobs.list({ ...query, before });
    pages.push(page.jobs.map((job) => job.id));
    if (page.nextCursor === null) return pages;
    before = page.nextCursor;
  }
}

describeBackends("JobRepository: listing", (backend) => {
  it("lists newest first and pages through everything exactly once", () => {
    const { state, clock } = openState();
    const ids = seed(state, clock.advance);
    const pages = allPages(state, { limit: 25 });
    expect(pages.map((p) => p.length)).toEqual([25, 25, 10]);
    expect(pages.flat()).toEqual(ids);
  });

  it("ends with a null cursor when the last page is exactly full", () => {
    const { state, clock } = openState();
    seed(state, clock.advance);
    expect(allPages(state, { limit: 20 }).map((p) => p.length)).toEqual([20, 20, 20]);
  });

  it("filters by agent, status and both", () => {
    const { state, clock } = openState();
    const ids = seed(state, clock.advance);
    const agentOf = (id: string) => state.jobs.require(id).agent;
    const statusOf = (id: string) => state.jobs.require(id).status;

    expect(allPages(state, { agent: "beta", limit: 7 }).flat()).toEqual(
      ids.filter((id) => agentOf(id) === "beta"),
    );
    expect(allPages(state, { status: "failed", limit: 7 }).flat()).toEqual(
      ids.filter((id) => statusOf(id) === "failed"),
    );
    expect(allPages(state, { agent: "gamma", status: "failed", limit: 7 }).flat()).toHaveLength(20);
    expect(allPages(state, { agent: "alpha", status: "failed" }).flat()).toEqual([]);
    expect(allPages(state, { status: ["failed", "completed"], limit: 50 }).flat()).toEqual(ids);
  });

  it("keeps jobs created in the same second in a stable order across pages", () => {
    const { state } = openState();
    const ids = Array.from({ length: 30 }, () => state.jobs.create(newJob()).id);
    const expected = [...ids].sort().reverse();
    expect(allPages(state, { limit: 4 }).flat()).toEqual(expected);
  });

  it("limits to jobs created since a time", () => {
    const { state, clock } = openState();
    const ids = seed(state, clock.advance);
    // Jobs were created at 03:04:05 + i minutes; since 03:54:05 keeps i = 50..59.
    expect(state.jobs.list({ since: "2025-01-02T03:54:05.000Z" }).jobs.map((j) => j.id)).toEqual(
      ids.slice(0, 10),
    );
    expect(
      state.jobs.list({ since: new Date("2025-01-02T03:54:05.000Z"), agent: "alpha" }).jobs,
    ).toHaveLength(3);
  });

  it("rejects a cursor that names no job, and bad limits", () => {
    const { state } = openState();
    expect(caught(() => state.jobs.list({ before: "job-20250101000000-aaaaaa" }))).toBeInstanceOf(
      JobNotFoundError,
    );
    expect(caught(() => state.jobs.list({ before: "../x" }))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.jobs.list({ limit: 0 })).message).toBe(
      "limit must be an integer from 1 to 1000, got 0",
    );
    expect(caught(() => state.jobs.list({ since: "yesterday" })).message).toBe(
      'since "yesterday" is not a valid time',
    );
  });

  it.each<[string, JobListQuery]>([
    ["unfiltered", {}],
    ["agent", { agent: "a" }],
    ["status", { status: "failed" }],
    ["agent+status", { agent: "a", status: "failed" }],
    ["agent+since", { agent: "a", since: "2025-01-01T00:00:00.000Z" }],
  ])("pages %s through an index, without sorting", (_name, query) => {
    const { state, url } = openState();
    if (backend === "postgres") {
      // On a handful of rows Postgres would rather scan and sort; with those off, a Sort left in
      // the plan means no index gives the order (at a million jobs the index is what it picks).
      // Incremental sorts too: otherwise another index sorted afterwards may win on cost.
      const client = new SyncPgClient(url!);
      try {
        client.exec(
          "SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off; SET enable_incremental_sort = off",
        );
        for (const cursor of [
          undefined,
          { createdAt: "2025-01-01T00:00:00.000Z", id: "job-20250101000000-aaaaaa" },
        ]) {
          const { sql, params } = buildJobListQuery(query, cursor, 51);
          const plan = client
            .query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params)
            .rows.map((row) => row["QUERY PLAN"])
            .join("\n");
          expect(plan).toMatch(/Index Scan Backward using jobs_by_/);
          expect(plan).not.toMatch(/Sort/);
        }
      } finally {
        client.close();
      }
      return;
    }
    state.close();
    const db = new Database(state.dbPath, { readonly: true });
    try {
      for (const cursor of [
        undefined,
        { createdAt: "2025-01-01T00:00:00.000Z", id: "job-20250101000000-aaaaaa" },
      ]) {
        const { sql, params } = buildJobListQuery(query, cursor, 51);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
          .map((row) => row.detail)
          .join("\n");
        expect(plan).toMatch(/USING (COVERING )?INDEX jobs_by_/);
        expect(plan).not.toContain("TEMP B-TREE");
      }
    } finally {
      db.close();
    }
  });
});
