/**
 * `herdctl state migrate` (SQLite → PostgreSQL) timed whole (the built CLI, spawned) at 100,000
 * jobs (20,000 with --quick), against `--dry-run` on the same state and target in the same run
 * (the same start-up, opening, schema and checks, with counting instead of copying): the
 * difference is the copy. Reports rows a second. A fresh database of its own per run, dropped after.
 *
 *   npx vite-node bench/state-migrate.ts [--quick]
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { StateManager } from "../packages/core/src/internal.js";
import { CLI, scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { bulkInsertJobs } from "./lib/bulk-jobs.js";
import { figure, finish, fmt, QUICK } from "./lib/report.js";

const SIZE = QUICK ? 20_000 : 100_000;
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function timeCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`herdctl ${args.join(" ")}: exit ${code}\n${err}`)),
    );
  });
}

const root = scratch("herdctl-bench-migrate-");
const dbName = `herdctl_bench_migrate_${process.pid}`;
const u = new URL(ADMIN_URL);
u.pathname = `/${dbName}`;
await admin(`create database "${dbName}"`);
let dry = 0;
let copy = 0;
try {
  writeFleetFiles(root.dir, "benchmigrate", { worker: "runtime: cli\n" });
  const stateDir = join(root.dir, ".herdctl");
  const schema = new StateManager(stateDir);
  schema.open();
  schema.close();
  const fillMs = bulkInsertJobs(join(stateDir, "herdctl.db"), SIZE, 50);
  console.log(`state-migrate fill@${SIZE}: ${fmt(fillMs)} (load ${load()})`);
  // The URL through the environment, as the docs tell users to pass it.
  const env = { ...process.env, BENCH_TARGET: u.toString() };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the command reads ${VAR} itself
  const to = ["state", "migrate", "--to", "${BENCH_TARGET}"];
  dry = await timeCli([...to, "--dry-run"], root.dir, env);
  copy = await timeCli(to, root.dir, env);
} finally {
  await admin(`drop database if exists "${dbName}" with (force)`);
  root.cleanup();
}
console.log(
  `state-migrate: ${SIZE.toLocaleString("en-US")} jobs, copy ${fmt(copy - dry)} beyond the dry run, ${Math.round(SIZE / ((copy - dry) / 1000)).toLocaleString("en-US")} rows/s; load ${load()}`,
);
figure(
  `herdctl state migrate @${SIZE} jobs (baseline: --dry-run, same state)`,
  fmt(dry),
  fmt(copy),
  copy / dry,
  "reported",
  true,
);
finish();
