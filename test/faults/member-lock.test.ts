import { hostname } from "node:os";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { MEMBER_LAPSED_REASON, reapLapsed } from "../../packages/core/src/cluster/reaper.js";
import {
  ACQUIRE_MEMBER_LOCK,
  MEMBER_LOCK_SPACE,
  WORKERS_TABLE,
} from "../../packages/core/src/cluster/schema.js";
import { registerWorker } from "../../packages/core/src/cluster/worker-registry.js";
import { openState } from "../../packages/core/test/state/helpers.js";

// A member's session lock (cluster/member-lock.ts) is an advisory lock: any session that can
// connect to the fleet's database may take any key, with no privilege on herdctl's tables, and
// the keys are a sequence's, so easy to guess (docs/security.md, "Workers on PostgreSQL"). Such a
// session, here another connection standing for another database user, can only take the lock's
// quick path away: a member is then judged by its lease, as before the lock. It cannot make a
// live member look dead. Real PostgreSQL.
const opened: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.end().catch(() => {})));
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  opened.push(client);
  return client;
}

const member = (id: string) => ({ id, labels: [], maxConcurrent: 0, version: "test" });

async function takeKey(client: pg.Client, key: number): Promise<boolean> {
  const { rows } = await client.query<{ got: boolean }>(
    "select pg_try_advisory_lock($1::int, $2::int) as got",
    [MEMBER_LOCK_SPACE, key],
  );
  return rows[0]!.got;
}

describe("another session holding a member's lock key", () => {
  it("held after the member died, it delays the reaper only to the member's lease", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    const reaper = await connect(url!);
    const lease = 1_500;
    const key = await registerWorker(reaper, member("victim"), lease, 0);
    const session = await connect(url!);
    await session.query(ACQUIRE_MEMBER_LOCK, ["victim", key, process.pid, hostname(), MEMBER_LOCK_SPACE]);
    const job = state.jobs.create({
      agent: "a",
      triggerType: "chat",
      prompt: "Hi.",
      runtime: "cli",
      workerId: "victim",
    });
    state.jobs.start(job.id);
    await reaper.query(`update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp() where id = 'victim'`);
    const beat = Date.now();
    // The member dies; the other session takes its key at once.
    await session.end();
    const squatter = await connect(url!);
    await expect.poll(() => takeKey(squatter, key), { timeout: 10_000 }).toBe(true);
    let reaped: Awaited<ReturnType<typeof reapLapsed>> | undefined;
    while (!reaped?.orphans.length) {
      reaped = await reapLapsed(reaper, true, { lockGraceMs: 100 });
      if (!reaped.orphans.length) await new Promise((r) => setTimeout(r, 50));
    }
    // By its lease, not by the lock the other session held.
    expect(Date.now() - beat).toBeGreaterThanOrEqual(lease);
    expect(state.jobs.require(job.id)).toMatchObject({ status: "interrupted", error: MEMBER_LAPSED_REASON });
  });

  it("taken before the member, the member is judged by its lease only, and is never reaped while it heartbeats", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    const reaper = await connect(url!);
    const key = await registerWorker(reaper, member("early"), 3_600_000, 0);
    const squatter = await connect(url!);
    expect(await takeKey(squatter, key)).toBe(true);
    const session = await connect(url!);
    const { rowCount } = await session.query(ACQUIRE_MEMBER_LOCK, [
      "early",
      key,
      process.pid,
      hostname(),
      MEMBER_LOCK_SPACE,
    ]);
    expect(rowCount).toBe(0);
    const job = state.jobs.create({
      agent: "a",
      triggerType: "chat",
      prompt: "Hi.",
      runtime: "cli",
      workerId: "early",
    });
    state.jobs.start(job.id);
    // Even once the other session lets go, the member's lock was never recorded as taken.
    await squatter.query("select pg_advisory_unlock_all()");
    for (let i = 0; i < 5; i++) {
      expect((await reapLapsed(reaper, true, { lockGraceMs: 1 })).orphans).toEqual([]);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(state.jobs.require(job.id).status).toBe("running");
  });
});
