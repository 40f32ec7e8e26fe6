/**
 * Which Postgres job queue for herdctl's workers (issue #17): pg-boss 10, graphile-worker 0.17 and
 * a plain `select … for update skip locked` claim (with LISTEN/NOTIFY, a lease and a heartbeat),
 * each with 3 worker processes (`lib/pg-queue-worker.mjs`, 4 jobs at a time each), one after
 * another in the same run against the same database:
 * - claim latency: jobs enqueued one at a time (every 25 ms), enqueue call → a worker has it;
 * - throughput: 2,000 jobs that do nothing, enqueued in one insert, until all are done (at most
 *   30 s; the figure is what was done divided by the time);
 * - a dead worker: a job a worker holds, `kill -9` of that worker, → another worker has it (45 s
 *   window), and how many times it was started.
 * The plain claim is the baseline of the ratios.
 *
 *   npx vite-node bench/pg-queue.ts [--quick]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { makeWorkerUtils } from "graphile-worker";
import pg from "pg";
import PgBoss from "pg-boss";
import { figure, finish, fmt, percentile, QUICK } from "./lib/report.js";

type Kind = "skip-locked" | "pg-boss" | "graphile-worker";
const KINDS: Kind[] = ["skip-locked", "pg-boss", "graphile-worker"];
const WORKERS = 3;
const CONCURRENCY = 4;
const LATENCY_JOBS = QUICK ? 40 : 200;
const LATENCY_GAP_MS = 25;
const THROUGHPUT_JOBS = QUICK ? 500 : 2_000;
const THROUGHPUT_WINDOW_MS = 30_000;
const DEAD_WINDOW_MS = QUICK ? 20_000 : 45_000;
// pg-boss has no heartbeat: a job is failed (and retried) only when its expiry passes, so expiry
// must exceed the longest job. 30 s stands for a short job timeout; herdctl's jobs run for minutes.
const PGBOSS_EXPIRE_S = 30;
const WORKER_SCRIPT = fileURLToPath(new URL("./lib/pg-queue-worker.mjs", import.meta.url));
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";

const now = () => performance.timeOrigin + performance.now();

interface Worker {
  name: string;
  child: ChildProcess;
  claims: Map<number, number>;
  /** Every start, a job started twice by this worker included. */
  starts: number;
  done: Set<number>;
  ready: boolean;
}

function startWorker(kind: Kind, url: string, name: string): Worker {
  const child = spawn(process.execPath, [WORKER_SCRIPT, kind, url, String(CONCURRENCY), name], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const worker: Worker = { name, child, claims: new Map(), starts: 0, done: new Set(), ready: false };
  let pending = "";
  child.stdout?.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const msg = JSON.parse(line);
      if (msg.ready) worker.ready = true;
      if (msg.claimed !== undefined) {
        worker.starts++;
        if (!worker.claims.has(msg.claimed)) worker.claims.set(msg.claimed, msg.at);
      }
      if (msg.done !== undefined) worker.done.add(msg.done);
    }
  });
  return worker;
}

async function until(check: () => boolean, what: string, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) {
      if (what) throw new Error(`pg-queue: ${what} not within ${ms / 1000} s`);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

/** Enqueues through each implementation's own API, as the daemon would. */
interface Producer {
  add(payload: Record<string, unknown>): Promise<void>;
  addMany(payloads: Array<Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
}

async function producer(kind: Kind, url: string): Promise<Producer> {
  if (kind === "skip-locked") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`
      create table bench_jobs (id bigserial primary key, payload jsonb not null,
        state text not null default 'queued', worker text, lease_until timestamptz, runs int not null default 0);
      create index bench_jobs_queued on bench_jobs (id) where state = 'queued';
      create function bench_jobs_notify() returns trigger language plpgsql as
        $$ begin perform pg_notify('bench_jobs', ''); return null; end $$;
      create trigger bench_jobs_notify after insert on bench_jobs for each statement execute function bench_jobs_notify();`);
    return {
      add: async (payload) =>
        void (await client.query("insert into bench_jobs (payload) values ($1)", [payload])),
      addMany: async (payloads) =>
        void (await client.query("insert into bench_jobs (payload) select * from jsonb_array_elements($1)", [
          JSON.stringify(payloads),
        ])),
      close: () => client.end(),
    };
  }
  if (kind === "pg-boss") {
    const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    boss.on("error", (err) => console.error(`pg-boss: ${err.message}`));
    await boss.start();
    await boss.createQueue("bench");
    const options = { expireInSeconds: PGBOSS_EXPIRE_S, retryLimit: 1, retryDelay: 0 };
    return {
      add: async (payload) => void (await boss.send("bench", payload, options)),
      addMany: (payloads) => boss.insert(payloads.map((data) => ({ name: "bench", data, ...options }))),
      close: () => boss.stop({ graceful: false, wait: true }),
    };
  }
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  return {
    add: async (payload) => void (await utils.addJob("bench", payload, { maxAttempts: 2 })),
    addMany: async (payloads) =>
      void (await utils.addJobs(
        payloads.map((payload) => ({ identifier: "bench", payload, maxAttempts: 2 })),
      )),
    close: () => utils.release(),
  };
}

interface Result {
  p50: number;
  p99: number;
  perSecond: number;
  throughputDone: number;
  reclaimMs: number | undefined;
  runs: number;
  /** Starts beyond one per job, before the dead-worker case (which restarts one on purpose). */
  extraStarts: number;
}

async function measure(kind: Kind, url: string): Promise<Result> {
  const queue = await producer(kind, url);
  const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(kind, url, `${kind}-${i + 1}`));
  try {
    await until(() => workers.every((w) => w.ready), `${kind}: workers ready`, 60_000);
    const claimedAt = (n: number) => {
      for (const w of workers) if (w.claims.has(n)) return w.claims.get(n);
      return undefined;
    };

    // Claim latency: one job at a time, workers idle.
    const enqueuedAt = new Map<number, number>();
    for (let n = 0; n < LATENCY_JOBS; n++) {
      enqueuedAt.set(n, now());
      await queue.add({ n });
      await new Promise((resolve) => setTimeout(resolve, LATENCY_GAP_MS));
    }
    await until(
      () => [...enqueuedAt.keys()].every((n) => claimedAt(n) !== undefined),
      `${kind}: latency jobs`,
      60_000,
    );
    const latencies = [...enqueuedAt].map(([n, at]) => (claimedAt(n) as number) - at);

    // Throughput: a backlog of jobs that do nothing.
    const first = LATENCY_JOBS;
    const payloads = Array.from({ length: THROUGHPUT_JOBS }, (_, i) => ({ n: first + i }));
    const t0 = performance.now();
    await queue.addMany(payloads);
    const countDone = () => workers.reduce((sum, w) => sum + [...w.done].filter((n) => n >= first).length, 0);
    await until(() => countDone() >= THROUGHPUT_JOBS, "", THROUGHPUT_WINDOW_MS);
    const elapsed = performance.now() - t0;
    const throughputDone = countDone();

    const distinct = new Set(workers.flatMap((w) => [...w.claims.keys()])).size;
    const extraStarts = workers.reduce((sum, w) => sum + w.starts, 0) - distinct;

    // A worker killed holding a job.
    const held = first + THROUGHPUT_JOBS;
    await queue.add({ n: held, hold: true });
    await until(() => claimedAt(held) !== undefined, `${kind}: held job claimed`, 60_000);
    const holder = workers.find((w) => w.claims.has(held)) as Worker;
    const killedAt = now();
    holder.child.kill("SIGKILL");
    const others = workers.filter((w) => w !== holder);
    const reclaimed = await until(() => others.some((w) => w.claims.has(held)), "", DEAD_WINDOW_MS);
    const reclaimMs = reclaimed
      ? Math.min(
          ...others.filter((w) => w.claims.has(held)).map((w) => (w.claims.get(held) as number) - killedAt),
        )
      : undefined;
    for (const w of others) w.child.stdin?.write("release\n");
    const runs = workers.filter((w) => w.claims.has(held)).length;
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perSecond: throughputDone / (elapsed / 1000),
      throughputDone,
      reclaimMs,
      runs,
      extraStarts,
    };
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await queue.close();
  }
}

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect().catch((err) => {
  console.error(`pg-queue: PostgreSQL not reachable (${err.message}); run \`bash scripts/setup-machine.sh\``);
  process.exit(1);
});
const results = new Map<Kind, Result>();
for (const kind of KINDS) {
  const db = `herdctl_bench_queue_${kind.replace("-", "_")}`;
  await admin.query(`drop database if exists ${db} with (force)`);
  await admin.query(`create database ${db}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  try {
    results.set(kind, await measure(kind, u.toString()));
  } finally {
    await admin.query(`drop database if exists ${db} with (force)`);
  }
}
await admin.end();

const base = results.get("skip-locked") as Result;
for (const kind of KINDS) {
  const r = results.get(kind) as Result;
  const vs = kind === "skip-locked" ? undefined : "skip-locked";
  figure(
    `pg-queue ${kind} claim latency p50 / p99 (${LATENCY_JOBS} jobs one at a time, 3 workers)`,
    vs && `${fmt(base.p50)} / ${fmt(base.p99)}`,
    `${fmt(r.p50)} / ${fmt(r.p99)}`,
    vs && r.p99 / base.p99,
    "reported",
    true,
  );
  figure(
    `pg-queue ${kind} throughput (${THROUGHPUT_JOBS} empty jobs, 3 workers × ${CONCURRENCY})`,
    vs && `${base.perSecond.toFixed(0)} jobs/s`,
    `${r.perSecond.toFixed(0)} jobs/s${r.throughputDone < THROUGHPUT_JOBS ? ` (${r.throughputDone} done in ${THROUGHPUT_WINDOW_MS / 1000} s)` : ""}`,
    vs && r.perSecond / base.perSecond,
    "reported",
    true,
  );
  figure(
    `pg-queue ${kind} jobs started more than once (all jobs, before the kill)`,
    undefined,
    String(r.extraStarts),
    undefined,
    "0",
    r.extraStarts === 0,
  );
  figure(
    `pg-queue ${kind} kill -9 of the worker holding a job → another worker has it`,
    vs && (base.reclaimMs === undefined ? "—" : fmt(base.reclaimMs)),
    `${r.reclaimMs === undefined ? `not within ${DEAD_WINDOW_MS / 1000} s` : fmt(r.reclaimMs)}; started ${r.runs}×`,
    vs && base.reclaimMs !== undefined && r.reclaimMs !== undefined
      ? r.reclaimMs / base.reclaimMs
      : undefined,
    "reported",
    true,
  );
}
finish();
