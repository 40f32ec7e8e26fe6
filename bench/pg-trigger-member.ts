/**
 * What being a member costs an in-process trigger on a PostgreSQL fleet (issue 17): a CLI that
 * runs a job itself registers a member row (no slots), heartbeats and marks it stopped at the
 * job's end, so a reaper can end the job if the CLI dies. Two figures, in one run:
 * - whole `trigger cli -p hi --wait --fresh` processes with no daemon, this build against another
 *   build without the membership (`--before DIST/index.js`, e.g. a copy of packages/cli/dist made
 *   before the change, kept beside it so that its packages resolve), alternating after a warm-up
 *   pair, 15 pairs (3 in `--quick`), medians and the median of the pairs' differences, against a
 *   loopback stand-in (faked Anthropic);
 * - the statements themselves through the state's connection (SyncPgClient): register + stop,
 *   and one heartbeat, p50 per call against a point read of a job by id.
 *
 *   npx vite-node bench/pg-trigger-member.ts --before packages/cli/dist-before/index.js [--quick]
 */
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { inProcessMemberId } from "../packages/core/src/cluster/in-process-member.js";
import { StateManager } from "../packages/core/src/internal.js";
import { claudeEnv } from "../packages/core/test/helpers/claude-env.js";
import { startStandin, textReply } from "../packages/standin/src/index.js";
import { CLI, scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, percentile, QUICK } from "./lib/report.js";

const beforeFlag = process.argv.indexOf("--before");
const beforeArg = beforeFlag === -1 ? undefined : process.argv[beforeFlag + 1];
if (!beforeArg)
  throw new Error("--before needs the path of another build's dist/index.js (one without the membership)");
const BEFORE_CLI = resolve(beforeArg);
const RUNS = QUICK ? 3 : 15;
const CALLS = QUICK ? 100 : 1_000;
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";

const loadAtStart = loadavg()[0]!.toFixed(1);
const root = scratch("herdctl-bench-pg-trigger-member-");
const dbName = `herdctl_bench_trigger_member_${process.pid}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${dbName}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${dbName}`;
const standin = await startStandin({ responder: () => textReply("hello") });
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...claudeEnv(standin, root.dir),
  HERDCTL_STATE_URL: url.toString(),
  NO_COLOR: "1",
};
writeFleetFiles(root.dir, "benchmember", { cli: "runtime: cli\n" });
// biome-ignore lint/suspicious/noTemplateCurlyInString: the fleet file reads the URL from the environment
appendFileSync(join(root.dir, "herdctl.yaml"), "state:\n  backend: postgres\n  url: ${HERDCTL_STATE_URL}\n");

function timeTrigger(cli: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, "trigger", "cli", "-p", "hi", "--wait", "--fresh"], {
      cwd: root.dir,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done(performance.now() - t0) : fail(new Error(`${cli} trigger: exit ${code}\n${err}`)),
    );
  });
}

function timeEach(n: number, one: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    one();
    out.push(performance.now() - t0);
  }
  return out;
}

try {
  const before: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const b = await timeTrigger(BEFORE_CLI);
    const o = await timeTrigger(CLI);
    // The first pair warms the page cache, claude's and the database's.
    if (i > 0) {
      before.push(b);
      ours.push(o);
    }
  }
  // Each pair ran back to back: the median of their differences drifts less with the load than
  // the difference of the medians.
  const m = median(ours.map((o, i) => o - before[i]!));
  figure(
    `trigger cli --wait, in-process on PostgreSQL (median of ${RUNS}): without → with the membership`,
    fmt(median(before)),
    `${fmt(median(ours))} (paired difference, median: ${m >= 0 ? "+" : ""}${fmt(m)})`,
    median(ours) / median(before),
    "report",
    true,
  );

  const state = new StateManager(join(root.dir, ".herdctl"), {
    backend: { kind: "postgres", url: url.toString() },
  });
  state.open();
  try {
    const jobs = state.clusterJobs!;
    const anyJob = state.jobs.list({ limit: 1 }).jobs[0]!.id;
    const read = timeEach(CALLS, () => state.jobs.get(anyJob));
    const joined = timeEach(CALLS, () => {
      const member = inProcessMemberId();
      jobs.registerMember({ id: member, version: "bench", leaseMs: 10_000 });
      jobs.stopMember(member);
    });
    const beating = inProcessMemberId();
    jobs.registerMember({ id: beating, version: "bench", leaseMs: 10_000 });
    const beats = timeEach(CALLS, () => jobs.heartbeatMember(beating));
    jobs.stopMember(beating);
    const p50 = (v: number[]) => percentile(v, 50);
    figure(
      "register + stop a member, through the state's connection (p50 per pair): a point read → ours",
      fmt(p50(read)),
      fmt(p50(joined)),
      p50(joined) / p50(read),
      "report",
      true,
    );
    figure(
      "one heartbeat (p50; one every 3.3 s of a job): a point read → ours",
      fmt(p50(read)),
      fmt(p50(beats)),
      p50(beats) / p50(read),
      "report",
      true,
    );
  } finally {
    state.close();
  }
} finally {
  await standin.close();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  root.cleanup();
}
console.log(`pg-trigger-member: load average ${loadAtStart} at start, ${loadavg()[0]!.toFixed(1)} at end`);
finish();
