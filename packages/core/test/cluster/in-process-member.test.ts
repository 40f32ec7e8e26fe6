import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { inProcessMemberId, joinAsInProcessMember } from "../../src/cluster/in-process-member.js";
import { MEMBER_LAPSED_REASON, reapLapsed } from "../../src/cluster/reaper.js";
import { CLUSTER_DDL, WORK_TABLE, WORKERS_TABLE } from "../../src/cluster/schema.js";
import { claim } from "../../src/cluster/work-queue.js";
import { registerWorker } from "../../src/cluster/worker-registry.js";
import { StateManager } from "../../src/state/manager.js";
import { openState } from "../state/helpers.js";

// Real PostgreSQL with a fleet's state: a process that runs a job itself without a daemon (an
// in-process trigger) is a member for that job's length, through the state's own connection, and
// `status` counts what each member runs, in the queue and outside it.
const opened: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.end()));
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  opened.push(client);
  return client;
}

async function memberRow(client: pg.Client, id: string) {
  const { rows } = await client.query(
    `select max_concurrent, lease_ms, pid, stopped_at, heartbeat_at from ${WORKERS_TABLE} where id = $1`,
    [id],
  );
  return rows[0];
}

describe("a CLI process that runs a job itself is a member", () => {
  it("has an id that says so and fits the id rules", () => {
    const id = inProcessMemberId();
    expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
    expect(id).toMatch(/-[0-9a-f]{6}-cli$/);
  });

  it("registers with no slots (making the tables if none), heartbeats, and leaves its row stopped", async () => {
    const { state, url } = openState(undefined, "postgres");
    // No daemon ever ran on this database: the workers' tables do not exist yet.
    const client = await connect(url!);
    expect((await client.query(`select to_regclass('${WORKERS_TABLE}') as t`)).rows[0].t).toBeNull();
    const warnings: string[] = [];
    const member = joinAsInProcessMember(state.clusterJobs!, {
      version: "test",
      warn: (m) => warnings.push(m),
      leaseMs: 300,
    });
    expect(await memberRow(client, member.id)).toMatchObject({
      max_concurrent: 0,
      lease_ms: 300,
      pid: process.pid,
      stopped_at: null,
    });
    const first = (await memberRow(client, member.id)).heartbeat_at as Date;
    const t0 = Date.now();
    for (;;) {
      const now = (await memberRow(client, member.id)).heartbeat_at as Date;
      if (now.getTime() > first.getTime()) break;
      if (Date.now() - t0 > 10_000) throw new Error("no heartbeat within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    member.leave();
    expect((await memberRow(client, member.id)).stopped_at).toBeInstanceOf(Date);
    expect(warnings).toEqual([]);
  });

  it("brings a workers table from before members with no slots up to date", async () => {
    const { state, url } = openState(undefined, "postgres");
    const client = await connect(url!);
    await client.query(CLUSTER_DDL);
    await client.query(
      `alter table ${WORKERS_TABLE} drop constraint ${WORKERS_TABLE}_max_concurrent_check,
         add constraint ${WORKERS_TABLE}_max_concurrent_check check (max_concurrent > 0), drop column lease_ms`,
    );
    // A table from before the schema's stamp (cluster/schema.ts) carries none.
    await client.query(`comment on table ${WORK_TABLE} is null`);
    const member = joinAsInProcessMember(state.clusterJobs!, { version: "test", warn: () => {} });
    expect(await memberRow(client, member.id)).toMatchObject({ max_concurrent: 0, lease_ms: 10_000 });
    member.leave();
  });

  it("its job is interrupted by a reaper once it went silent past its lease, not before", async () => {
    const { state, url } = openState(undefined, "postgres");
    const client = await connect(url!);
    const member = joinAsInProcessMember(state.clusterJobs!, { version: "test", warn: () => {} });
    const job = state.jobs.create({
      agent: "triager",
      triggerType: "manual",
      prompt: "Triage.",
      runtime: "cli",
      workerId: member.id,
    });
    state.jobs.start(job.id);
    expect((await reapLapsed(client, true)).orphans).toEqual([]);
    // As if its process had been killed 11 s ago (its lease is 10 s): no beat since.
    await client.query(
      `update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp() - interval '11 seconds' where id = $1`,
      [member.id],
    );
    expect((await reapLapsed(client, true)).orphans).toEqual([{ jobId: job.id, workerId: member.id }]);
    expect(state.jobs.require(job.id)).toMatchObject({ status: "interrupted", error: MEMBER_LAPSED_REASON });
    member.leave();
  });

  it("with no daemon anywhere, the next CLI run that joins reaps a killed one's job", async () => {
    const { state, url } = openState(undefined, "postgres");
    const client = await connect(url!);
    // A minute's lease: no beat of its own comes during the test (its heartbeat is every 20 s).
    const killed = joinAsInProcessMember(state.clusterJobs!, {
      version: "test",
      warn: () => {},
      leaseMs: 60_000,
    });
    const job = state.jobs.create({
      agent: "triager",
      triggerType: "manual",
      prompt: "Triage.",
      runtime: "cli",
      workerId: killed.id,
    });
    state.jobs.start(job.id);
    // Its process killed 61 s ago, on a machine where nothing else runs.
    await client.query(
      `update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp() - interval '61 seconds' where id = $1`,
      [killed.id],
    );
    // Another process's trigger (a state connection of its own) joins, and with that reaps.
    const other = new StateManager(join(mkdtempSync(join(tmpdir(), "herdctl-next-cli-")), ".herdctl"), {
      backend: { kind: "postgres", url: url! },
    });
    other.open();
    const next = joinAsInProcessMember(other.clusterJobs!, { version: "test", warn: () => {} });
    const t0 = Date.now();
    while (state.jobs.require(job.id).status === "running") {
      if (Date.now() - t0 > 10_000)
        throw new Error("the killed run's job was not reaped within 10 s of a join");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state.jobs.require(job.id)).toMatchObject({ status: "interrupted", error: MEMBER_LAPSED_REASON });
    next.leave();
    killed.leave();
    other.close();
  });
});

describe("status counts what a member runs", () => {
  it("its running queue rows plus the jobs it runs itself, a queue job once", async () => {
    const { state, url } = openState(undefined, "postgres");
    const repo = state.clusterJobs!;
    repo.ensureTables();
    const client = await connect(url!);
    const identity = (id: string, maxConcurrent: number) => ({ id, labels: [], maxConcurrent, version: "t" });
    await registerWorker(client, identity("daemon", 0), 10_000, 0);
    await registerWorker(client, identity("worker", 2), 10_000);
    const running = () => Object.fromEntries(repo.workers().map((w) => [w.id, w.running]));
    expect(running()).toEqual({ daemon: 0, worker: 0 });

    const job = (workerId: string | null, triggerType: "chat" | "manual") =>
      state.jobs.create({ agent: "chatty", triggerType, prompt: "Hi.", runtime: "cli", workerId });
    // A daemon with no slots busy with a chat turn and one waiting for an approval; one finished.
    const turn = job("daemon", "chat");
    state.jobs.start(turn.id);
    const waiting = job("daemon", "chat");
    state.jobs.start(waiting.id);
    state.jobs.setWaiting(waiting.id, true);
    const done = job("daemon", "chat");
    state.jobs.start(done.id);
    state.jobs.finish(done.id, { status: "completed", exitReason: "success" });
    job("daemon", "chat"); // queued behind the daemon's own limit: not running yet
    // The worker: one job from the queue (its record names it too) and one fork of its own.
    const queued = job(null, "manual");
    repo.enqueue({
      agent: "chatty",
      requiredLabels: [],
      jobId: queued.id,
      session: { mode: "fresh" },
      onInterrupt: "none",
    });
    await claim(client, { workerId: "worker", labels: [], free: 2, maxConcurrent: 2, leaseMs: 60_000 });
    state.jobs.start(queued.id);
    state.jobs.update(queued.id, { workerId: "worker" });
    const fork = job("worker", "manual");
    state.jobs.start(fork.id);

    expect(running()).toEqual({ daemon: 2, worker: 2 });
    state.jobs.finish(turn.id, { status: "completed", exitReason: "success" });
    expect(running()).toEqual({ daemon: 1, worker: 2 });

    // Silent for two days (killed, never stopped): listed only while a job still names it.
    await registerWorker(client, identity("killed-cli", 0), 10_000, 0);
    await registerWorker(client, identity("killed-with-a-job", 0), 10_000, 0);
    await client.query(
      `update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp() - interval '2 days' where id like 'killed-%'`,
    );
    const stuck = job("killed-with-a-job", "manual");
    state.jobs.start(stuck.id);
    expect(repo.workers().map((w) => [w.id, w.alive])).toEqual([
      ["daemon", true],
      ["killed-with-a-job", false],
      ["worker", true],
    ]);
  });
});
