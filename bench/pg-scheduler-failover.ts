// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file holds a literal ${VAR}
/**
 * Issue #17: scheduler lateness with a leader failover in the window. Two real daemons (the built
 * CLI, `herdctl start`) on one PostgreSQL database with 10 two-second interval schedules; each
 * fire is its key and a job refused at once (the gate sits in the agent file), so nothing but the
 * scheduler is measured. After a steady stretch, kill -9 of the leader; the other takes over.
 *
 * Per fire, from the fire keys: lateness = fired_at − planned_at (database clock), and the gap a
 * schedule saw between two fires beyond its interval (what a user of the schedule feels; a
 * failover shows here, since the new leader plans its fires afresh). Steady stretch (the
 * baseline, same run) against the window from the kill to 10 s after it.
 *
 *   npx vite-node bench/pg-scheduler-failover.ts
 *
 * Needs `npm run build` and the test PostgreSQL; makes a database of its own and drops it after.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { CLI, scratch } from "../test/faults/helpers.js";
import { figure, finish, fmt, percentile } from "./lib/report.js";

const SCHEDULES = 10;
const INTERVAL_S = 2;
const STEADY_S = 20;
const AFTER_S = 15;
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const dbName = `herdctl_bench_failover_${process.pid}`;
const url = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
await query(ADMIN_URL, `create database "${dbName}"`);
const root = scratch("herdctl-bench-failover-");
const daemons: ChildProcess[] = [];
let report: {
  steady: number[];
  after: number[];
  gapsSteady: number[];
  gapsAfter: number[];
  takeover: number;
};
try {
  mkdirSync(join(root.dir, "agents"));
  mkdirSync(join(root.dir, "workspace"));
  const schedules = Array.from(
    { length: SCHEDULES },
    (_, s) => `  s${s}:\n    type: interval\n    interval: ${INTERVAL_S}s\n    gate: exit 1\n`,
  ).join("");
  writeFileSync(
    join(root.dir, "agents", "ticker.yaml"),
    `name: ticker\nworking_directory: ../workspace\nruntime: cli\ninstances: { max_concurrent: ${SCHEDULES} }\nschedules:\n${schedules}`,
  );
  writeFileSync(
    join(root.dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: failover }\nagents:\n  - path: ./agents/ticker.yaml\nstate:\n  backend: postgres\n  url: ${BENCH_PG_URL}\n",
  );
  const start = async (name: string) => {
    const stateDir = join(root.dir, `.herdctl-${name}`);
    const daemon = spawn(process.execPath, [CLI, "-s", stateDir, "start", "--offline"], {
      cwd: root.dir,
      env: { ...process.env, BENCH_PG_URL: url },
      stdio: "ignore",
    });
    daemons.push(daemon);
    while (!existsSync(join(stateDir, "herdctl.sock"))) await sleep(100);
    return daemon;
  };
  const a = await start("a");
  const b = await start("b");
  await sleep(STEADY_S * 1_000);
  const leaderBy = (
    await query<{ by: string }>(
      url,
      "select fired_by as by from herdctl_schedule_fires order by fired_at desc limit 1",
    )
  )[0]!.by;
  const leader = leaderBy.endsWith(`:${a.pid}`) ? a : b;
  // numeric comes back from pg as a string.
  const killedAt = Number(
    (await query<{ now: string }>(url, "select extract(epoch from now()) * 1000 as now"))[0]!.now,
  );
  leader.kill("SIGKILL");
  console.log(`pg-scheduler-failover: killed the leader (pid ${leader.pid}) at load ${load()}`);
  await sleep(AFTER_S * 1_000);
  const rows = await query<{ schedule: string; planned: number; fired: number; by: string }>(
    url,
    `select schedule, extract(epoch from planned_at) * 1000 as planned, extract(epoch from fired_at) * 1000 as fired,
            fired_by as by from herdctl_schedule_fires order by schedule, planned_at`,
  );
  const firstAfter = rows.filter((r) => !r.by.endsWith(`:${leader.pid}`) && Number(r.fired) > killedAt);
  const takeover = Math.min(...firstAfter.map((r) => Number(r.fired))) - killedAt;
  const steady: number[] = [];
  const after: number[] = [];
  const gapsSteady: number[] = [];
  const gapsAfter: number[] = [];
  // The first 5 s are start-up (two daemons campaigning, first plans); not counted.
  const t0 = Math.min(...rows.map((r) => Number(r.fired))) + 5_000;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const fired = Number(r.fired);
    if (fired < t0) continue;
    const inWindow = fired >= killedAt && fired <= killedAt + 10_000;
    (inWindow ? after : fired < killedAt ? steady : []).push(fired - Number(r.planned));
    const prev = rows[i - 1];
    if (prev && prev.schedule === r.schedule) {
      // Interval schedules fire INTERVAL_S after the previous run ended; the run is a refused job (a few ms).
      const gap = fired - Number(prev.fired) - INTERVAL_S * 1_000;
      (inWindow ? gapsAfter : fired < killedAt ? gapsSteady : []).push(gap);
    }
  }
  report = { steady, after, gapsSteady, gapsAfter, takeover };
} finally {
  for (const d of daemons) if (d.exitCode === null) d.kill("SIGTERM");
  await sleep(3_000);
  for (const d of daemons) if (d.exitCode === null) d.kill("SIGKILL");
  await query(ADMIN_URL, `drop database if exists "${dbName}" with (force)`);
  root.cleanup();
}

console.log(
  `pg-scheduler-failover: ${SCHEDULES} schedules of ${INTERVAL_S} s, ${report.steady.length} steady fires, ${report.after.length} in the 10 s after the kill; takeover ${fmt(report.takeover)}; load ${load()}`,
);
figure(
  "scheduler lateness p99 (fired − planned), failover window (baseline: steady, same run)",
  fmt(percentile(report.steady, 99)),
  fmt(percentile(report.after, 99)),
  percentile(report.after, 99) / Math.max(percentile(report.steady, 99), 0.01),
  "reported",
  true,
);
figure(
  "gap beyond the interval p99, failover window (baseline: steady, same run)",
  fmt(percentile(report.gapsSteady, 99)),
  fmt(percentile(report.gapsAfter, 99)),
  percentile(report.gapsAfter, 99) / Math.max(percentile(report.gapsSteady, 99), 0.01),
  "takeover ≤ 5 s",
  percentile(report.gapsAfter, 99) < 5_000,
);
finish();
