import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { LEASE_LAPSED_REASON, reapLapsed } from "../../src/cluster/reaper.js";
import { WORK_TABLE } from "../../src/cluster/schema.js";
import { claim } from "../../src/cluster/work-queue.js";
import { SyncPgClient } from "../../src/state/pg/sync-client.js";
import { openState } from "../state/helpers.js";

// Real PostgreSQL, with a fleet's state in it (job records as well as the workers' queue): the
// reaper interrupts a lapsed job's record with its queue row. A herdctl process reaps on an async
// connection while it writes job records synchronously on its main thread (state/pg/sync-client.ts),
// so a write may come between any two of the reaper's round trips.
const opened: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.end()));
});

async function lapsedJob() {
  const { state, url } = openState(undefined, "postgres");
  state.clusterJobs!.ensureTables();
  const job = state.jobs.create({
    agent: "triager",
    triggerType: "manual",
    prompt: "Triage.",
    runtime: "cli",
  });
  state.jobs.start(job.id);
  state.clusterJobs!.enqueue({
    agent: "triager",
    requiredLabels: [],
    jobId: job.id,
    session: { mode: "fresh" },
    onInterrupt: "resume",
  });
  const reaper = new pg.Client({ connectionString: url });
  await reaper.connect();
  opened.push(reaper);
  await claim(reaper, { workerId: "gone", labels: [], free: 1, maxConcurrent: 1, leaseMs: 1 });
  await reaper.query("select pg_sleep(0.01)"); // the 1 ms lease has lapsed
  return { state, url: url!, job, reaper };
}

describe("the reaper and the job records", () => {
  it("interrupts the job record of a lapsed queue row and queues it again to resume", async () => {
    const { state, job, reaper } = await lapsedJob();
    const reaped = await reapLapsed(reaper);
    expect(reaped.interrupted).toHaveLength(1);
    expect(reaped.requeued).toHaveLength(1);
    expect(state.jobs.require(job.id)).toMatchObject({
      status: "interrupted",
      exitReason: "interrupted",
      error: LEASE_LAPSED_REASON,
    });
    const { rows } = await reaper.query(`select payload from ${WORK_TABLE} where resumed_from is not null`);
    expect(rows).toEqual([{ payload: { resumeOf: job.id } }]);
  });

  it("holds no lock across a round trip: a synchronous job-record write between its statements does not wait on it", async () => {
    const { state, url, job, reaper } = await lapsedJob();
    // Before, a transaction of several statements held the job's row while this process's event
    // loop stood still in such a write: the write waited out its statement timeout.
    const writer = new SyncPgClient(url, { statementTimeoutMs: 2_000 });
    const writes: string[] = [];
    const interleaved = {
      query: async (...args: Parameters<pg.Client["query"]>) => {
        const result = await (reaper.query as (...a: unknown[]) => Promise<unknown>)(...args);
        try {
          writer.query("UPDATE jobs SET summary = ? WHERE id = ?", ["written meanwhile", job.id]);
          writes.push("ok");
        } catch (error) {
          writes.push((error as Error).message);
        }
        return result;
      },
    } as unknown as pg.ClientBase;
    try {
      const reaped = await reapLapsed(interleaved, true);
      expect(reaped.interrupted).toHaveLength(1);
      expect(writes.length).toBeGreaterThan(0);
      expect(
        writes.every((w) => w === "ok"),
        writes.join("; "),
      ).toBe(true);
      expect(state.jobs.require(job.id)).toMatchObject({
        status: "interrupted",
        summary: "written meanwhile",
      });
    } finally {
      writer.close();
    }
  });
});
