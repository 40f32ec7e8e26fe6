import { hostname } from "node:os";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { MemberLock } from "../../src/cluster/member-lock.js";
import { MEMBER_GONE_REASON, reapLapsed } from "../../src/cluster/reaper.js";
import {
  ACQUIRE_MEMBER_LOCK,
  MEMBER_LOCK_SPACE,
  WORK_TABLE,
  WORKERS_TABLE,
} from "../../src/cluster/schema.js";
import { claim } from "../../src/cluster/work-queue.js";
import { registerWorker } from "../../src/cluster/worker-registry.js";
import { openState } from "../state/helpers.js";

// Real PostgreSQL with a fleet's state: each member holds a session-level advisory lock on a
// connection that lives as long as it does. A connection ended stands for a process killed (its
// kernel closes the socket, the server releases the lock the same way). Every member here has a
// lease of an hour, so only the lock can make the reaper take its jobs.
const HOUR = 3_600_000;
const opened: pg.Client[] = [];
const locks: MemberLock[] = [];
afterEach(async () => {
  await Promise.all(locks.splice(0).map((l) => l.stop()));
  await Promise.all(opened.splice(0).map((c) => c.end().catch(() => {})));
});

async function connect(url: string, name = "herdctl test"): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  await client.connect();
  opened.push(client);
  return client;
}

/** Polls `pick` (async) every 50 ms until it gives a value; the deadline turns a hang into a message. */
async function poll<T>(pick: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const found = await pick();
    if (found !== undefined) return found;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const member = (id: string) => ({ id, labels: [], maxConcurrent: 1, version: "test" });

/** Takes `id`'s lock on a connection of its own, as a member process would; returns that connection. */
async function holdAs(url: string, id: string, key: number): Promise<pg.Client> {
  const session = await connect(url);
  const { rowCount } = await session.query(ACQUIRE_MEMBER_LOCK, [
    id,
    key,
    process.pid,
    hostname(),
    MEMBER_LOCK_SPACE,
  ]);
  expect(rowCount).toBe(1);
  return session;
}

async function heldKeys(client: pg.Client): Promise<Map<number, number>> {
  const { rows } = await client.query<{ key: number; pid: number }>(
    `select objid::bigint::int as key, pid from pg_locks
     where locktype = 'advisory' and granted and objsubid = 2 and classid = $1::int::oid
       and database = (select oid from pg_database where datname = current_database())`,
    [MEMBER_LOCK_SPACE],
  );
  return new Map(rows.map((r) => [Number(r.key), r.pid]));
}

describe("a member's session lock", () => {
  it("gone (its process killed), its jobs are reaped after the grace, long before its lease; held, or taken before the server started, they are not", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    const reaper = await connect(url!);
    const killedKey = await registerWorker(reaper, member("killed"), HOUR);
    const liveKey = await registerWorker(reaper, member("live"), HOUR);
    const oldKey = await registerWorker(reaper, member("old"), HOUR);
    expect(new Set([killedKey, liveKey, oldKey]).size).toBe(3);
    const killed = await holdAs(url!, "killed", killedKey);
    const live = new MemberLock(
      {
        connectionString: url!,
        id: "live",
        hostname: hostname(),
        pid: process.pid,
        connectTimeoutMs: 5_000,
        applicationName: "live",
      },
      liveKey,
    );
    locks.push(live);
    live.start();
    await poll(async () => ((await heldKeys(reaper)).has(liveKey) ? true : undefined), "live's lock taken");
    // A lock from before the server's start (as after a restart, before the member is back): no
    // evidence either way, so its lease alone judges it.
    const old = await holdAs(url!, "old", oldKey);
    await reaper.query(
      `update ${WORKERS_TABLE} set lock_at = pg_postmaster_start_time() - interval '1 second' where id = 'old'`,
    );
    await old.end();

    const ownJob = (workerId: string) => {
      const created = state.jobs.create({
        agent: "chatty",
        triggerType: "chat",
        prompt: "Hi.",
        runtime: "cli",
        workerId,
      });
      state.jobs.start(created.id);
      return created.id;
    };
    const killedOwn = ownJob("killed");
    const liveOwn = ownJob("live");
    const oldOwn = ownJob("old");
    // A queue job of the killed member, its lease an hour long.
    const queued = state.jobs.create({
      agent: "chatty",
      triggerType: "manual",
      prompt: "Hi.",
      runtime: "cli",
    });
    state.clusterJobs!.enqueue({
      agent: "chatty",
      requiredLabels: [],
      jobId: queued.id,
      session: { mode: "fresh" },
      onInterrupt: "resume",
    });
    await claim(reaper, { workerId: "killed", labels: [], free: 1, maxConcurrent: 1, leaseMs: HOUR });
    state.jobs.start(queued.id);
    state.jobs.update(queued.id, { workerId: "killed" });

    const grace = 300;
    expect((await reapLapsed(reaper, true, { lockGraceMs: grace })).orphans).toEqual([]);
    await killed.end();
    const endedAt = Date.now();
    const reaped = await poll(async () => {
      const r = await reapLapsed(reaper, true, { lockGraceMs: grace });
      return r.orphans.length > 0 || r.interrupted.length > 0 ? r : undefined;
    }, "the killed member's jobs reaped");
    expect(Date.now() - endedAt).toBeGreaterThanOrEqual(grace);
    expect(reaped.orphans).toEqual([{ jobId: killedOwn, workerId: "killed" }]);
    expect(reaped.interrupted.map((r) => r.workerId)).toEqual(["killed"]);
    expect(reaped.requeued).toHaveLength(1);
    for (const id of [killedOwn, queued.id])
      expect(state.jobs.require(id)).toMatchObject({ status: "interrupted", error: MEMBER_GONE_REASON });
    const { rows } = await reaper.query(`select error from ${WORK_TABLE} where worker_id = 'killed'`);
    expect(rows).toEqual([{ error: MEMBER_GONE_REASON }]);
    for (const id of [liveOwn, oldOwn]) expect(state.jobs.require(id).status).toBe("running");
    const marks = await reaper.query(
      `select id, lock_lost_at is not null as lost from ${WORKERS_TABLE} order by id`,
    );
    expect(marks.rows).toEqual([
      { id: "killed", lost: true },
      { id: "live", lost: false },
      { id: "old", lost: false },
    ]);
    // `status` shows the killed one gone once its lock has been missing for the grace (1.5 s),
    // well before its heartbeat (made young here) is a lease (10 s in status) old.
    await reaper.query(`update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp() where id = 'killed'`);
    await poll(
      async () => (state.clusterJobs!.workers().find((w) => w.id === "killed")?.alive ? undefined : true),
      "the killed member shown gone",
      5_000,
    );
    expect(Object.fromEntries(state.clusterJobs!.workers().map((w) => [w.id, w.alive]))).toEqual({
      killed: false,
      live: true,
      old: true,
    });
  });

  it("lost with its connection, it is taken again at once on a new one: the member is never reaped", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    const reaper = await connect(url!);
    const key = await registerWorker(reaper, member("blip"), HOUR);
    const lock = new MemberLock(
      {
        connectionString: url!,
        id: "blip",
        hostname: hostname(),
        pid: process.pid,
        connectTimeoutMs: 5_000,
        applicationName: "herdctl blip",
      },
      key,
    );
    locks.push(lock);
    lock.start();
    const first = await poll(async () => (await heldKeys(reaper)).get(key), "blip's lock taken");
    const job = state.jobs.create({
      agent: "chatty",
      triggerType: "chat",
      prompt: "Hi.",
      runtime: "cli",
      workerId: "blip",
    });
    state.jobs.start(job.id);
    // What a cut connection or an administrator's pg_terminate_backend does to it.
    await reaper.query("select pg_terminate_backend($1)", [first]);
    const second = await poll(async () => {
      const pid = (await heldKeys(reaper)).get(key);
      return pid !== undefined && pid !== first ? pid : undefined;
    }, "blip's lock taken again on a new connection");
    expect(second).not.toBe(first);
    // Reaped with a grace the reconnection fits in, many times: never taken, and no mark left.
    for (let i = 0; i < 5; i++)
      expect((await reapLapsed(reaper, true, { lockGraceMs: 1_000 })).orphans).toEqual([]);
    expect(state.jobs.require(job.id).status).toBe("running");
    const { rows } = await reaper.query(`select lock_lost_at from ${WORKERS_TABLE} where id = 'blip'`);
    expect(rows).toEqual([{ lock_lost_at: null }]);
  });

  it("an in-process member holds it on the state's own connection, and takes it again when that connection is lost, before any query", async () => {
    const { state, url } = openState(undefined, "postgres");
    const reaper = await connect(url!);
    state.clusterJobs!.registerMember({ id: "cli-run", version: "test", leaseMs: HOUR });
    const { rows } = await reaper.query<{ lock_key: number; lock_at: Date | null }>(
      `select lock_key, lock_at from ${WORKERS_TABLE} where id = 'cli-run'`,
    );
    const key = rows[0]!.lock_key;
    expect(rows[0]!.lock_at).toBeInstanceOf(Date);
    const first = (await heldKeys(reaper)).get(key);
    expect(first).toBeDefined();
    await reaper.query("select pg_terminate_backend($1)", [first]);
    // No state query meanwhile: the state's worker thread replaces the connection by itself.
    const second = await poll(async () => {
      const pid = (await heldKeys(reaper)).get(key);
      return pid !== undefined && pid !== first ? pid : undefined;
    }, "the in-process member's lock taken again");
    expect(second).not.toBe(first);
    // And the state's connection works on (the new one).
    expect(state.jobs.list().jobs).toEqual([]);
  });
});
