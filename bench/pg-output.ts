/**
 * Live output across machines (issue #17): how long after a job's line is appended on machine A a
 * follower on machine B has it, through PostgreSQL (one insert + NOTIFY per flush, B woken by
 * LISTEN and reading the table), against the single-machine figure in the same run: a follower of
 * a SQLite state in the writer's own process (the daemon's `/ws` and `logs -f` through the daemon,
 * woken at each append). Two state directories stand for the two machines; both live in this
 * process, so one clock times both ends. Also: the writer's longest event-loop stall while it
 * appends (central writes are async, on their own connection).
 *
 *   npx vite-node bench/pg-output.ts [--quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { StateManager } from "../packages/core/src/state/manager.js";
import { figure, finish, fmt, percentile, QUICK } from "./lib/report.js";

const LINES = QUICK ? 100 : 400;
const PACE_MS = 10;
const BURST = QUICK ? 500 : 2_000;
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Appends paced lines on `writer`, follows on `reader`; per line, ms from append to arrival. */
async function paced(
  writer: StateManager,
  reader: StateManager,
): Promise<{ latencies: number[]; stall: number }> {
  const job = writer.jobs.start(
    writer.jobs.create({ agent: "bench", triggerType: "manual", prompt: "p", runtime: "cli" }).id,
  );
  const appendedAt: number[] = [];
  const latencies: number[] = [];
  const following = (async () => {
    for await (const line of reader.followJobOutput(job.id))
      latencies.push(performance.now() - appendedAt[line.line]!);
  })();
  await sleep(200); // the follower is listening
  let last = performance.now();
  let stall = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    stall = Math.max(stall, t - last);
    last = t;
  }, 1);
  for (let i = 0; i < LINES; i++) {
    appendedAt[i] = performance.now();
    writer.appendJobOutput(job.id, {
      type: "assistant",
      message: { content: [{ type: "text", text: `line ${i}` }] },
    });
    await sleep(PACE_MS);
  }
  clearInterval(ticker);
  await writer.jobOutputStored(job.id);
  writer.jobs.finish(job.id, { status: "completed" });
  writer.central?.announce(job.id);
  await following;
  if (latencies.length !== LINES) throw new Error(`the follower saw ${latencies.length} of ${LINES} lines`);
  return { latencies, stall };
}

/** BURST lines appended in one go: ms until the follower has the last. */
async function burst(writer: StateManager, reader: StateManager): Promise<number> {
  const job = writer.jobs.start(
    writer.jobs.create({ agent: "bench", triggerType: "manual", prompt: "p", runtime: "cli" }).id,
  );
  let seen = 0;
  let doneAt = 0;
  const following = (async () => {
    for await (const _ of reader.followJobOutput(job.id)) if (++seen === BURST) doneAt = performance.now();
  })();
  await sleep(200);
  const t0 = performance.now();
  for (let i = 0; i < BURST; i++) writer.appendJobOutput(job.id, { type: "assistant", n: i });
  await writer.jobOutputStored(job.id);
  writer.jobs.finish(job.id, { status: "completed" });
  writer.central?.announce(job.id);
  await following;
  return doneAt - t0;
}

const load = loadavg()[0]!.toFixed(1);
const root = mkdtempSync(join(tmpdir(), "herdctl-bench-pg-output-"));
const dbName = `herdctl_bench_output_${process.pid}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`drop database if exists ${dbName} with (force)`);
await admin.query(`create database ${dbName}`);
const u = new URL(ADMIN_URL);
u.pathname = `/${dbName}`;
const backend = { kind: "postgres" as const, url: u.toString() };
const lite = new StateManager(join(root, "lite"));
const a = new StateManager(join(root, "a"), { backend });
const b = new StateManager(join(root, "b"), { backend });
try {
  for (const s of [lite, a, b]) s.open();
  console.log(
    `pg-output: ${LINES} lines ${PACE_MS} ms apart, a burst of ${BURST}; load average ${load} at start`,
  );
  await paced(lite, lite); // warm-up of both paths
  await paced(a, b);
  const local = await paced(lite, lite);
  const remote = await paced(a, b);
  const burstLocal = await burst(lite, lite);
  const burstRemote = await burst(a, b);
  const p = (xs: number[], q: number) => percentile(xs, q);
  figure(
    "line latency p50, SQLite same process → PostgreSQL machine A → B",
    fmt(p(local.latencies, 50)),
    fmt(p(remote.latencies, 50)),
    undefined,
    "report",
    true,
  );
  figure(
    "line latency p99",
    fmt(p(local.latencies, 99)),
    fmt(p(remote.latencies, 99)),
    undefined,
    // The same bound as a local job's reply reaching /ws (streaming.ts): issue #17 asks for the
    // same latency targets across machines.
    "< 100 ms",
    p(remote.latencies, 99) < 100,
  );
  figure(
    "writer's longest loop stall while appending",
    fmt(local.stall),
    fmt(remote.stall),
    undefined,
    "report",
    true,
  );
  figure(
    `${BURST} lines at once, until the follower has the last`,
    fmt(burstLocal),
    fmt(burstRemote),
    undefined,
    "report",
    true,
  );
  console.log(`load average ${loadavg()[0]!.toFixed(1)} at end`);
} finally {
  for (const s of [lite, a, b]) s.close();
  await sleep(500);
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  rmSync(root, { recursive: true, force: true });
}
finish();
