import { spawnSync } from "node:child_process";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ClusterWorker, type WorkerEvent } from "../../src/cluster/cluster-worker.js";
import { reapLapsed } from "../../src/cluster/reaper.js";
import { WORK_TABLE, WORKERS_TABLE } from "../../src/cluster/schema.js";
import { CLAIM_LOCK, claim, enqueue, setLimits, type WorkSpec } from "../../src/cluster/work-queue.js";
import {
  checkIdentity,
  defaultWorkerId,
  deregisterWorker,
  listWorkers,
  registerWorker,
} from "../../src/cluster/worker-registry.js";
import { until } from "../helpers/until.js";
import { type Child, killChildren, startChild } from "./children.js";
import { clusterDatabase } from "./cluster-database.js";
import { cutProxy } from "./cut-proxy.js";

// Real PostgreSQL; each worker is a separate process (dist/ code) standing for a machine of its
// own, as `herdctl worker` would be. Their "work" is a timer, so the tests measure the queue.
const cluster = clusterDatabase();
const db = cluster.db;
let client: pg.Client;
beforeAll(() => {
  client = cluster.client;
});
beforeEach(async () => {
  await client.query(`truncate ${WORK_TABLE}, ${WORKERS_TABLE}`);
  await setLimits(client, {});
});
interface WorkerOptions {
  id: string;
  labels: string[];
  maxConcurrent: number;
  leaseMs?: number;
  heartbeatMs?: number;
  reapMs?: number;
  pollMs?: number;
}

async function startWorkers(options: WorkerOptions[]): Promise<Child[]> {
  const children = options.map((o) => startChild("worker-child.mjs", [db.url, JSON.stringify(o)]));
  await until(
    () =>
      children.every((c) => c.events.some((e) => e.event === "registered") || c.process.exitCode !== null),
    "the workers registered",
    30_000,
  );
  for (const c of children) expect(c.process.exitCode, c.stderr()).toBeNull();
  return children;
}

function events(children: Child[], name: string) {
  return children.flatMap((c) => c.events.filter((e) => e.event === name));
}

interface Row {
  id: number;
  agent: string;
  status: string;
  worker_id: string;
  required_labels: string[];
  claimed: number;
  finished: number;
  resumed_from: number | null;
}

async function rows(): Promise<Row[]> {
  const { rows } = await client.query(
    `select id::int, agent, status, worker_id, required_labels, resumed_from::int,
       extract(epoch from claimed_at)::float8 * 1000 as claimed, extract(epoch from finished_at)::float8 * 1000 as finished
     from ${WORK_TABLE} order by id`,
  );
  return rows;
}

/**
 * The most jobs running at one instant, from the recorded claim and finish times. A finish at
 * the same instant as a claim counts first: a claim can only see a slot freed by a commit before it.
 */
function peak(jobs: Row[]): number {
  const edges = jobs.flatMap((j) => [
    { at: j.claimed, d: 1 },
    { at: j.finished, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) {
    now += e.d;
    max = Math.max(max, now);
  }
  return max;
}

describe("worker registry", () => {
  it("registers an identity, refuses a second live worker with the same id, takes over a silent one", async () => {
    const identity = checkIdentity({
      id: "build-1",
      labels: ["region=eu", "docker"],
      maxConcurrent: 3,
      version: "0.1.0",
    });
    expect(identity.labels).toEqual(["docker", "region=eu"]);
    await registerWorker(client, identity, 10_000);
    const [row] = await listWorkers(client, 10_000);
    expect(row).toMatchObject({
      id: "build-1",
      labels: ["docker", "region=eu"],
      maxConcurrent: 3,
      pid: process.pid,
      version: "0.1.0",
    });
    expect(row?.alive).toBe(true);

    await expect(registerWorker(client, identity, 10_000)).rejects.toThrow(
      /worker id "build-1" is in use by a running worker \(host .*, pid \d+, last heartbeat [\d.]+ s ago\): stop that worker or start this one with another --id/,
    );
    // Silent for longer than its own lease (recorded with its row) → a new process may take the id.
    await client.query(
      `update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp() - interval '11 seconds' where id = 'build-1'`,
    );
    await registerWorker(client, identity, 10_000);

    await deregisterWorker(client, "build-1");
    expect((await listWorkers(client, 10_000))[0]?.alive).toBe(false);
    await registerWorker(client, identity, 10_000);
    expect((await listWorkers(client, 10_000))[0]?.alive).toBe(true);
  });

  it("takes the id of a live-looking row at once when its process, on this machine, is gone (a daemon restarted after kill -9)", async () => {
    const identity = { id: "restarted", labels: [], maxConcurrent: 0, version: "0.1.0" };
    await registerWorker(client, identity, 10_000, 0);
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    await client.query(`update ${WORKERS_TABLE} set pid = $1 where id = 'restarted'`, [dead]);
    await registerWorker(client, identity, 10_000, 0);
    const row = (await listWorkers(client, 10_000)).find((w) => w.id === "restarted");
    expect(row).toMatchObject({ pid: process.pid, maxConcurrent: 0, alive: true });
    // A live process (this one) under the id still refuses.
    await expect(registerWorker(client, identity, 10_000, 0)).rejects.toThrow(
      /is in use by a running worker/,
    );
    // A worker needs a slot; only a daemon (minSlots 0) may have none.
    await expect(registerWorker(client, { ...identity, id: "idle-worker" }, 10_000)).rejects.toThrow(
      /--max-concurrent 0 is not valid: give a whole number of 1 or more/,
    );
  });

  it("default ids are the hostname plus a short random part; bad input names the argument", () => {
    expect(defaultWorkerId("build box.local")).toMatch(/^build-box\.local-[0-9a-f]{6}$/);
    expect(defaultWorkerId("h")).not.toBe(defaultWorkerId("h"));
    const base = { id: "w", labels: [], maxConcurrent: 1, version: "x" };
    expect(() => checkIdentity({ ...base, id: "-bad id" })).toThrow(
      /--id "-bad id" is not a valid worker id/,
    );
    expect(() => checkIdentity({ ...base, labels: ["region=eu west"] })).toThrow(
      /--labels: "region=eu west" is not a valid label/,
    );
    expect(() => checkIdentity({ ...base, maxConcurrent: 0 })).toThrow(/--max-concurrent 0 is not valid/);
  });
});

describe("claiming across worker processes (real PostgreSQL)", () => {
  // Three machines for both tests: one without labels, one with docker, one with docker in the EU.
  let workers: Child[];
  beforeAll(async () => {
    workers = await startWorkers([
      { id: "plain", labels: [], maxConcurrent: 4 },
      { id: "dock", labels: ["docker"], maxConcurrent: 4 },
      { id: "dock-eu", labels: ["docker", "region=eu"], maxConcurrent: 4 },
    ]);
  });
  afterAll(killChildren);
  const finished = (ids: Set<number>) => events(workers, "finished").filter((e) => ids.has(e.id as number));

  it("300 jobs over 3 workers: the fleet cap held at every instant, none lost, none run twice", async () => {
    const FLEET_CAP = 5;
    await setLimits(client, { fleet: FLEET_CAP });
    const jobs: WorkSpec[] = Array.from({ length: 300 }, (_, i) => ({
      agent: `agent-${i % 7}`,
      payload: { ms: i % 13 },
    }));
    const ids = new Set(await enqueue(client, jobs));
    await until(() => finished(ids).length >= 300, "300 jobs finished", 120_000);

    const done = await rows();
    expect(done).toHaveLength(300);
    expect(done.filter((r) => r.status !== "completed")).toEqual([]);
    const starts = events(workers, "started")
      .map((e) => e.id as number)
      .filter((id) => ids.has(id));
    expect(starts).toHaveLength(300);
    expect(new Set(starts).size).toBe(300);
    // Each worker ran its share, within its own capacity, and the fleet as a whole within its cap.
    for (const id of ["plain", "dock", "dock-eu"]) {
      const mine = done.filter((r) => r.worker_id === id);
      expect(mine.length, id).toBeGreaterThan(0);
      expect(peak(mine), id).toBeLessThanOrEqual(4);
    }
    expect(peak(done)).toBe(FLEET_CAP);
    expect(events(workers, "error")).toEqual([]);
  });

  it("per-agent caps hold across workers, and placement labels send jobs only where they fit", async () => {
    await setLimits(client, { agents: { solo: 1, pair: 2 } });
    const spec = (agent: string, n: number, requiredLabels: string[] = []): WorkSpec[] =>
      Array.from({ length: n }, (_, i) => ({ agent, requiredLabels, payload: { ms: 5 + (i % 4) * 5 } }));
    const ids = new Set(
      await enqueue(client, [
        ...spec("solo", 20),
        ...spec("pair", 20),
        ...spec("builder", 30, ["docker"]),
        ...spec("eu-only", 15, ["region=eu", "docker"]),
        ...spec("anywhere", 30),
      ]),
    );
    await until(() => finished(ids).length >= 115, "115 jobs finished", 120_000);

    const done = await rows();
    expect(done.filter((r) => r.status !== "completed")).toEqual([]);
    expect(peak(done.filter((r) => r.agent === "solo"))).toBe(1);
    expect(peak(done.filter((r) => r.agent === "pair"))).toBe(2);
    const ranOn = (agent: string) => new Set(done.filter((r) => r.agent === agent).map((r) => r.worker_id));
    expect([...ranOn("builder")].every((w) => w === "dock" || w === "dock-eu")).toBe(true);
    expect([...ranOn("eu-only")]).toEqual(["dock-eu"]);
    // The unlabelled worker did take the jobs it could.
    expect(done.some((r) => r.worker_id === "plain")).toBe(true);
    // A job whose labels no worker has waits, and is not taken by a worker lacking them.
    const [gpu] = await enqueue(client, [{ agent: "trainer", requiredLabels: ["gpu"] }]);
    const [marker] = await enqueue(client, [{ agent: "anywhere" }]);
    await until(() => finished(new Set([marker as number])).length === 1, "a later job finished");
    const { rows: left } = await client.query(`select status from ${WORK_TABLE} where id = $1`, [gpu]);
    expect(left[0].status).toBe("queued");
  });
});

describe("the claim lock (in-process, two connections)", () => {
  it("a claim waits for a claim in progress and counts what that one took (the cap's atomicity)", async () => {
    await setLimits(client, { agents: { solo: 1 } });
    const [first] = await enqueue(client, [{ agent: "solo" }, { agent: "solo" }, { agent: "other" }]);
    // A claim in progress on another connection: it holds the claim lock and has taken a `solo`
    // job, not yet committed. Without the lock the second claim would count no `solo` running and
    // take the other one.
    const inProgress = new pg.Client({ connectionString: db.url });
    const second = new pg.Client({ connectionString: db.url, application_name: "second-claim" });
    await Promise.all([inProgress.connect(), second.connect()]);
    try {
      await inProgress.query("begin");
      await inProgress.query("select pg_advisory_xact_lock($1, $2)", [...CLAIM_LOCK]);
      await inProgress.query(
        `update ${WORK_TABLE} set status = 'running', worker_id = 'a', claimed_at = now(), lease_until = now() + interval '1 minute' where id = $1`,
        [first],
      );
      const claiming = claim(second, {
        workerId: "b",
        labels: [],
        free: 3,
        maxConcurrent: 3,
        leaseMs: 10_000,
      });
      let settled = false;
      claiming.then(
        () => (settled = true),
        () => (settled = true),
      );
      let waiting = false;
      while (!waiting) {
        expect(settled, "the second claim ended without waiting for the claim in progress").toBe(false);
        const { rows: w } = await client.query(
          "select wait_event_type = 'Lock' as waiting from pg_stat_activity where application_name = 'second-claim'",
        );
        waiting = w[0]?.waiting === true;
      }
      await inProgress.query("commit");
      const taken = await claiming;
      expect(taken.map((j) => j.agent)).toEqual(["other"]);
    } finally {
      await Promise.all([inProgress.end(), second.end()]);
    }
  });
});

describe("leases and the reaper (real PostgreSQL, separate processes)", () => {
  afterEach(killChildren);
  const LEASE = { leaseMs: 1_500, heartbeatMs: 300, reapMs: 200, pollMs: 500 };
  // From kill -9 to `interrupted`: at most the lease (renewed just before the kill) plus a reaper
  // period; the rest is room for a machine at load 20+.
  const BOUND_MS = LEASE.leaseMs + LEASE.reapMs + 5_000;

  it("kill -9 of a worker mid-job: its jobs interrupted within the bound, the resumable one claimed by another", async () => {
    const [first] = await startWorkers([{ id: "doomed", labels: ["docker"], maxConcurrent: 2, ...LEASE }]);
    const [resumable, plain] = await enqueue(client, [
      { agent: "triager", requiredLabels: ["docker"], payload: { hang: true }, onInterrupt: "resume" },
      { agent: "triager", requiredLabels: ["docker"], payload: { hang: true } },
    ]);
    await until(
      () => events([first as Child], "started").length === 2,
      "the doomed worker running both jobs",
    );
    const [second] = await startWorkers([{ id: "survivor", labels: ["docker"], maxConcurrent: 2, ...LEASE }]);

    const killedAt = Date.now();
    first?.process.kill("SIGKILL");
    await until(
      () => (second as Child).events.some((e) => e.event === "claimed" && e.resumedFrom === resumable),
      "the survivor claiming the resumed job",
      60_000,
    );

    const all = await rows();
    const byId = new Map(all.map((r) => [r.id, r]));
    for (const id of [resumable, plain] as number[]) {
      expect(byId.get(id)).toMatchObject({ status: "interrupted", worker_id: "doomed" });
      expect((byId.get(id) as Row).finished - killedAt).toBeLessThan(BOUND_MS);
    }
    const again = all.filter((r) => r.resumed_from !== null);
    expect(again).toEqual([
      expect.objectContaining({ resumed_from: resumable, worker_id: "survivor", status: "running" }),
    ]);
    expect((await listWorkers(client, LEASE.leaseMs)).find((w) => w.id === "doomed")?.alive).toBe(false);
  });

  it("a frozen worker's job goes to another, and the frozen one, woken, stops it instead of finishing it", async () => {
    const [frozen] = await startWorkers([{ id: "frozen", labels: [], maxConcurrent: 1, ...LEASE }]);
    const [job] = await enqueue(client, [
      { agent: "triager", payload: { ms: 4_000 }, onInterrupt: "resume" },
    ]);
    await until(() => (frozen as Child).events.some((e) => e.event === "started"), "the job started");
    const [other] = await startWorkers([{ id: "other", labels: [], maxConcurrent: 1, ...LEASE }]);
    frozen?.process.kill("SIGSTOP");
    await until(
      () => (other as Child).events.some((e) => e.event === "claimed" && e.resumedFrom === job),
      "the other worker claiming the resumed job",
      60_000,
    );
    frozen?.process.kill("SIGCONT");
    await until(
      () => (frozen as Child).events.some((e) => e.event === "lease-lost" && e.id === job),
      "the woken worker noticing its lease is gone",
      60_000,
    );
    await until(
      () => (other as Child).events.some((e) => e.event === "finished"),
      "the resumed job finished",
      60_000,
    );

    const all = await rows();
    expect(all.map((r) => [r.id === job ? "first" : "resumed", r.worker_id, r.status])).toEqual([
      ["first", "frozen", "interrupted"],
      ["resumed", "other", "completed"],
    ]);
    expect((frozen as Child).events.filter((e) => e.event === "finished")).toEqual([]);
  });

  it("a job that ends while the database is cut off is recorded when it is back, not dropped or run again", async () => {
    const proxy = await cutProxy(db.url);
    const seen: WorkerEvent[] = [];
    let endWork: (() => void) | undefined;
    const worker = new ClusterWorker({
      connectionString: proxy.url,
      identity: { id: "cut-off", labels: [], maxConcurrent: 1, version: "test" },
      leaseMs: 6_000,
      reapMs: 200,
      onEvent: (e) => seen.push(e),
      run: () =>
        new Promise((resolve) => {
          endWork = () => resolve({ status: "completed" });
        }),
    });
    try {
      await worker.start();
      const [job] = await enqueue(client, [{ agent: "triager", onInterrupt: "resume" }]);
      await until(() => endWork !== undefined, "the job started");
      proxy.cut();
      endWork?.();
      await until(
        () => seen.some((e) => e.event === "error" && e.where === "finish"),
        "a failed attempt to record the end",
      );
      proxy.restore();
      await until(() => seen.some((e) => e.event === "finished" && e.id === job), "the end recorded", 30_000);
      const all = await rows();
      expect(all.map((r) => [r.id, r.status, r.worker_id])).toEqual([[job, "completed", "cut-off"]]);
      expect(seen.filter((e) => e.event === "lease-lost")).toEqual([]);
    } finally {
      proxy.restore();
      await worker.stop();
      await proxy.close();
    }
  });

  it("one reaper acts on a lapsed job however many run at once", async () => {
    const [id] = await enqueue(client, [{ agent: "triager", onInterrupt: "resume" }]);
    await claim(client, { workerId: "gone", labels: [], free: 1, maxConcurrent: 1, leaseMs: 1 });
    const reapers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        return c;
      }),
    );
    try {
      await client.query("select pg_sleep(0.01)"); // the 1 ms lease has lapsed
      const results = await Promise.all(reapers.map((c) => reapLapsed(c)));
      expect(results.flatMap((r) => r.interrupted.map((i) => i.id))).toEqual([id]);
      expect(results.flatMap((r) => r.requeued.map((q) => q.resumedFrom))).toEqual([id]);
      const { rows: n } = await client.query(`select count(*)::int as n from ${WORK_TABLE}`);
      expect(n[0].n).toBe(2);
    } finally {
      await Promise.all(reapers.map((c) => c.end()));
    }
  });
});
