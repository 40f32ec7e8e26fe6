/**
 * A job's end on a PostgreSQL worker → `job:completed` on the daemon that queued it (issue #17:
 * remote status at local latency). The worker is a child process on the built code
 * (bench/lib/pg-notice-worker.mjs) whose synthetic runtime answers at once; the daemon runs here.
 * The latency is the daemon's event time minus the record's `finished_at` (one machine, one
 * clock), for jobs run one after another, in three ways in the same run:
 * - floor: a bare `NOTIFY` from one connection to a `LISTEN` on another (what any notification costs);
 * - before: the jobs table's trigger dropped and the daemon polling every 500 ms (how it followed
 *   remote jobs before job notices);
 * - after: the trigger in place, the daemon's poll at its 5 s default (the safety net only).
 * And a cancel asked on the daemon of a job running on the worker, until the daemon's `cancel`
 * returns it cancelled: after (notices both ways) against before (the trigger dropped, the worker
 * reading the cancel flag every second and the daemon polling every 500 ms, as before notices).
 * Load average is printed with the figures: the machine is shared.
 *
 *   npm run build && npx vite-node bench/pg-job-end.ts [--quick]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { JOB_CHANNEL } from "../packages/core/src/cluster/schema.js";
import { FleetManager } from "../packages/core/src/fleet-manager/fleet-manager.js";
import type { JobRecord } from "../packages/core/src/state/index.js";
import { scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, percentile, QUICK } from "./lib/report.js";

const JOBS = QUICK ? 10 : 40;
const CANCELS = QUICK ? 5 : 15;
const WORKER_SCRIPT = fileURLToPath(new URL("./lib/pg-notice-worker.mjs", import.meta.url));
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const DB = "herdctl_bench_job_end";

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");

function fleetDir(url: string): { dir: string; cleanup: () => void } {
  const root = scratch("herdctl-bench-job-end-");
  writeFleetFiles(
    root.dir,
    "job-end",
    { echo: "runtime: cli\n" },
    `state: { backend: postgres, url: "${url}" }\n`,
  );
  return root;
}

function startWorker(dir: string, cancelPollMs?: number): Promise<ChildProcess> {
  const args = [WORKER_SCRIPT, dir, ...(cancelPollMs ? [String(cancelPollMs)] : [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (chunk) => String(chunk).includes("ready") && resolve(child));
    child.once("exit", (code) =>
      reject(new Error(`pg-job-end: worker exited (${code}) before it was ready`)),
    );
  });
}

/** One job at a time through the daemon: ms from the worker's recorded end to `job:completed` here. */
async function latencies(daemon: FleetManager, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const job = daemon.trigger("echo", { prompt: `job ${i}` });
    const ended = await new Promise<number>((resolve) => {
      const heard = (done: JobRecord) => {
        if (done.id !== job.id) return;
        daemon.events.off("job:completed", heard);
        resolve(Date.now() - Date.parse(done.finishedAt!));
      };
      daemon.events.on("job:completed", heard);
    });
    out.push(ended);
  }
  return out;
}

/** One held job at a time: ms from `cancel` on the daemon until it returns the job cancelled. */
async function cancels(daemon: FleetManager, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const job = daemon.trigger("echo", { prompt: `hold ${i}` });
    await new Promise<void>((resolve) => {
      const started = (running: JobRecord) => {
        if (running.id !== job.id) return;
        daemon.events.off("job:started", started);
        resolve();
      };
      daemon.events.on("job:started", started);
    });
    const t0 = performance.now();
    const ended = await daemon.cancel(job.id);
    if (ended.status !== "cancelled") throw new Error(`pg-job-end: job ${job.id} ended ${ended.status}`);
    out.push(performance.now() - t0);
  }
  return out;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  await new Promise((resolve) => {
    child.once("exit", resolve);
    child.kill("SIGTERM");
  });
}

async function notifyFloor(url: string, n: number): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), sender.connect()]);
  await listener.query("listen herdctl_bench_floor");
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const heard = new Promise<void>((resolve) => listener.once("notification", () => resolve()));
    await sender.query("select pg_notify('herdctl_bench_floor', $1)", [String(i)]);
    await heard;
    out.push(performance.now() - t0);
  }
  await Promise.all([listener.end(), sender.end()]);
  return out;
}

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`drop database if exists ${DB} with (force)`);
await admin.query(`create database ${DB}`);
const u = new URL(ADMIN_URL);
u.pathname = `/${DB}`;
const url = u.toString();
const daemonDir = fleetDir(url);
const workerDir = fleetDir(url);
const loads: string[] = [load()];
let worker: ChildProcess | undefined;
try {
  const floor = await notifyFloor(url, JOBS);
  loads.push(load());

  const quiet = () => {};
  const after = new FleetManager({ config: daemonDir.dir, watchConfig: false, env: {}, log: quiet });
  await after.start();
  worker = await startWorker(workerDir.dir);
  await latencies(after, 3); // warm-up: connections, first claims
  const notified = await latencies(after, JOBS);
  const cancelledAfter = await cancels(after, CANCELS);
  await after.stop({ timeoutMs: 5_000 });
  await stopWorker(worker);
  worker = undefined;
  loads.push(load());

  const before = new FleetManager({
    config: join(daemonDir.dir, "herdctl.yaml"),
    stateDir: join(daemonDir.dir, ".herdctl-before"),
    watchConfig: false,
    env: {},
    log: quiet,
    jobNotices: { pollMs: 500 },
  });
  await before.start();
  worker = await startWorker(workerDir.dir, 1_000);
  // Created again by every start; dropped after these, so only the polls are left.
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`drop trigger if exists ${JOB_CHANNEL}_notify on jobs`);
  await db.end();
  const polled = await latencies(before, JOBS);
  const cancelledBefore = await cancels(before, CANCELS);
  await before.stop({ timeoutMs: 5_000 });
  loads.push(load());

  const line = (values: number[]) =>
    `median ${fmt(median(values))}, p90 ${fmt(percentile(values, 90))}, max ${fmt(Math.max(...values))}`;
  console.log(`pg-job-end: ${JOBS} jobs each, load average ${loads.join(" → ")}`);
  console.log(`  floor (bare NOTIFY → LISTEN): ${line(floor)}`);
  console.log(`  before (500 ms poll):         ${line(polled)}`);
  console.log(`  after (job notices):          ${line(notified)}`);
  console.log(`pg-job-end: ${CANCELS} cancels each (cancel on the daemon → it returns the job cancelled)`);
  console.log(`  before (1 s / 500 ms polls):  ${line(cancelledBefore)}`);
  console.log(`  after (job notices):          ${line(cancelledAfter)}`);
  figure(
    "job end on a worker → job:completed on its daemon, median",
    fmt(median(polled)),
    fmt(median(notified)),
    median(notified) / median(polled),
    "< 50 ms and under the poll's",
    median(notified) < 50 && median(notified) < median(polled),
  );
  figure(
    "cancel on the daemon of a job on a worker → cancelled, median",
    fmt(median(cancelledBefore)),
    fmt(median(cancelledAfter)),
    median(cancelledAfter) / median(cancelledBefore),
    "< 100 ms and under the polls'",
    median(cancelledAfter) < 100 && median(cancelledAfter) < median(cancelledBefore),
  );
} finally {
  if (worker) await stopWorker(worker);
  await admin.query(`drop database if exists ${DB} with (force)`);
  await admin.end();
  daemonDir.cleanup();
  workerDir.cleanup();
}
finish();
