/**
 * herdctl's own cluster workers (issue #17; packages/core/src/cluster/, built code): 1 against 3
 * worker processes on one PostgreSQL, in the same run, each worker taking 4 jobs at a time.
 * - throughput: a backlog of jobs that each take 2 s (a simulated model reply), enqueued at once,
 *   until all are finished; its floor is the time the slots allow (ceil(jobs / slots) × 2 s).
 *   Issue #17 asks 3 workers for ≥ 2.7× the jobs/s of 1.
 * - claim latency: jobs enqueued one at a time (every 25 ms) to idle workers, enqueue → claimed,
 *   both by the database's clock (`enqueued_at`, `claimed_at`), p50 / p99.
 * Load average is printed with the figures: the machine is shared, compare the ratios.
 *
 *   npm run build && npx vite-node bench/pg-workers.ts [--quick]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ensureClusterSchema, WORK_TABLE, WORKERS_TABLE } from "../packages/core/src/cluster/schema.js";
import { enqueue } from "../packages/core/src/cluster/work-queue.js";
import { figure, finish, fmt, percentile, QUICK } from "./lib/report.js";

const SLOTS = 4;
const REPLY_MS = 2_000;
const ROUNDS = QUICK ? 2 : 4; // each worker count gets this many full rounds of its slots at 3 workers
const LATENCY_JOBS = QUICK ? 50 : 200;
const LATENCY_GAP_MS = 25;
const WORKER_SCRIPT = fileURLToPath(new URL("./lib/pg-cluster-worker.mjs", import.meta.url));
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const DB = "herdctl_bench_workers";

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");

function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, [WORKER_SCRIPT, url, `bench-${n}-${i + 1}`, String(SLOTS)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.stdout?.on("data", (chunk) => String(chunk).includes("ready") && resolve(child));
        child.once("exit", (code) =>
          reject(new Error(`pg-workers: worker exited (${code}) before it was ready`)),
        );
      });
    }),
  );
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          c.once("exit", resolve);
          c.kill("SIGTERM");
        }),
    ),
  );
}

async function waitFor(client: pg.Client, sql: string, what: string, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await client.query(sql)).rows[0].ok) {
    if (Date.now() - t0 > ms) throw new Error(`pg-workers: ${what} not within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Seconds from the first enqueue to the last finish, by the database's clock, for a backlog. */
async function throughput(client: pg.Client, url: string, workers: number) {
  await client.query(`truncate ${WORK_TABLE}, ${WORKERS_TABLE}`);
  const children = await startWorkers(url, workers);
  const jobs = ROUNDS * 3 * SLOTS;
  const loadBefore = load();
  try {
    await enqueue(
      client,
      Array.from({ length: jobs }, () => ({ agent: "bench", payload: { ms: REPLY_MS } })),
    );
    await waitFor(
      client,
      `select count(*) filter (where status = 'completed') = ${jobs} as ok from ${WORK_TABLE}`,
      `${jobs} jobs on ${workers} worker(s)`,
      jobs * REPLY_MS + 120_000,
    );
    const { rows } = await client.query(
      `select extract(epoch from max(finished_at) - min(enqueued_at))::float8 as s,
         count(distinct worker_id)::int as used from ${WORK_TABLE}`,
    );
    const seconds = rows[0].s as number;
    const floor = (Math.ceil(jobs / (workers * SLOTS)) * REPLY_MS) / 1000;
    return {
      jobs,
      seconds,
      perSecond: jobs / seconds,
      floor,
      used: rows[0].used as number,
      load: `${loadBefore} → ${load()}`,
    };
  } finally {
    await stopWorkers(children);
  }
}

async function latency(client: pg.Client, url: string) {
  await client.query(`truncate ${WORK_TABLE}, ${WORKERS_TABLE}`);
  const children = await startWorkers(url, 3);
  try {
    for (let i = 0; i < LATENCY_JOBS; i++) {
      await enqueue(client, [{ agent: "bench", payload: { ms: 0 } }]);
      await new Promise((resolve) => setTimeout(resolve, LATENCY_GAP_MS));
    }
    await waitFor(
      client,
      `select count(*) filter (where claimed_at is not null) = ${LATENCY_JOBS} as ok from ${WORK_TABLE}`,
      "latency jobs claimed",
      60_000,
    );
    const { rows } = await client.query(
      `select extract(epoch from claimed_at - enqueued_at)::float8 * 1000 as ms from ${WORK_TABLE}`,
    );
    return rows.map((r) => r.ms as number);
  } finally {
    await stopWorkers(children);
  }
}

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect().catch((err) => {
  console.error(
    `pg-workers: PostgreSQL not reachable (${err.message}); run \`bash scripts/setup-machine.sh\``,
  );
  process.exit(1);
});
await admin.query(`drop database if exists ${DB} with (force)`);
await admin.query(`create database ${DB}`);
const u = new URL(ADMIN_URL);
u.pathname = `/${DB}`;
const url = u.toString();
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  await ensureClusterSchema(client);
  const one = await throughput(client, url, 1);
  const three = await throughput(client, url, 3);
  const lat = await latency(client, url);
  for (const [n, r] of [
    [1, one],
    [3, three],
  ] as const) {
    figure(
      `pg-workers ${n} worker(s) × ${SLOTS}: ${r.jobs} jobs of ${REPLY_MS / 1000} s (load ${r.load}; ${r.used} worker(s) used)`,
      `floor ${r.floor.toFixed(1)} s`,
      `${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(2)} jobs/s`,
      r.seconds / r.floor,
      "reported",
      true,
    );
  }
  const ratio = three.perSecond / one.perSecond;
  figure(
    "pg-workers throughput, 3 workers against 1",
    `${one.perSecond.toFixed(2)} jobs/s`,
    `${three.perSecond.toFixed(2)} jobs/s`,
    ratio,
    "≥ 2.7",
    ratio >= 2.7,
  );
  figure(
    `pg-workers claim latency p50 / p99 (${LATENCY_JOBS} jobs one every ${LATENCY_GAP_MS} ms, 3 idle workers; load ${load()})`,
    undefined,
    `${fmt(percentile(lat, 50))} / ${fmt(percentile(lat, 99))}`,
    undefined,
    "reported",
    true,
  );
} finally {
  await client.end();
  await admin.query(`drop database if exists ${DB} with (force)`);
  await admin.end();
}
finish();
