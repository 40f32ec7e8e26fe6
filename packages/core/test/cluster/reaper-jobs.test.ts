import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { LEASE_LAPSED_REASON, MEMBER_LAPSED_REASON, reapLapsed } from "../../src/cluster/reaper.js";
import { WORK_TABLE, WORKERS_TABLE } from "../../src/cluster/schema.js";
import { claim } from "../../src/cluster/work-queue.js";
import { deregisterWorker, registerWorker } from "../../src/cluster/worker-registry.js";
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

describe("the reaper and the jobs a daemon runs itself (outside the queue, no lease)", () => {
  it("interrupts a silent or stopped member's unfinished jobs, and leaves a live member's and those a running queue row covers", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    opened.push(client);
    const member = (id: string) => ({ id, labels: [], maxConcurrent: 0, version: "test" });
    for (const id of ["dead", "live", "stopped"]) await registerWorker(client, member(id), 10_000, 0);
    // Its own lease is a minute: silent for 20 s, it is alive, whatever the reaper's own lease.
    await registerWorker(client, member("slow"), 60_000, 0);
    await client.query(
      `update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp() - interval '20 seconds' where id in ('dead', 'slow')`,
    );
    await deregisterWorker(client, "stopped");

    const job = (workerId: string | null, status: "queued" | "running" | "waiting" | "completed") => {
      const created = state.jobs.create({
        agent: "chatty",
        triggerType: "chat",
        prompt: "Hi.",
        runtime: "cli",
        workerId,
      });
      if (status !== "queued") state.jobs.start(created.id);
      if (status === "waiting") state.jobs.setWaiting(created.id, true);
      if (status === "completed")
        state.jobs.finish(created.id, { status: "completed", exitReason: "success" });
      return created.id;
    };
    const deadRunning = job("dead", "running");
    const deadQueued = job("dead", "queued");
    const deadWaiting = job("dead", "waiting");
    const deadDone = job("dead", "completed");
    const stoppedRunning = job("stopped", "running");
    const liveRunning = job("live", "running");
    const slowRunning = job("slow", "running");
    const nobody = job(null, "running");
    // A job of the dead member claimed from the queue, its lease still running: the lease's business.
    const leased = job(null, "queued");
    state.clusterJobs!.enqueue({
      agent: "chatty",
      requiredLabels: [],
      jobId: leased,
      session: { mode: "fresh" },
      onInterrupt: "none",
    });
    await claim(client, { workerId: "dead", labels: [], free: 1, maxConcurrent: 1, leaseMs: 60_000 });
    state.jobs.start(leased);
    state.jobs.update(leased, { workerId: "dead" });

    const reaped = await reapLapsed(client, true, { staleAfterMs: 1_000 });
    expect(reaped.interrupted).toEqual([]);
    expect(reaped.orphans.map((o) => o.jobId).sort()).toEqual(
      [deadRunning, deadQueued, deadWaiting, stoppedRunning].sort(),
    );
    for (const id of [deadRunning, deadQueued, deadWaiting, stoppedRunning]) {
      expect(state.jobs.require(id)).toMatchObject({
        status: "interrupted",
        exitReason: "interrupted",
        error: MEMBER_LAPSED_REASON,
      });
    }
    expect(state.jobs.require(deadRunning).durationMs).toBeGreaterThanOrEqual(0);
    expect(state.jobs.require(deadQueued).durationMs).toBeNull();
    expect(state.jobs.require(deadDone).status).toBe("completed");
    for (const id of [liveRunning, slowRunning, nobody, leased])
      expect(state.jobs.require(id).status).toBe("running");
    // Once is enough: the next pass finds nothing.
    expect((await reapLapsed(client, true, { staleAfterMs: 1_000 })).orphans).toEqual([]);
  });
});
