// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file holds a literal ${VAR}
/**
 * Issue #17: the dashboard's job list (`GET /api/jobs`, a real web server on a real FleetManager)
 * at 1,000,000 jobs on PostgreSQL, against the same page from SQLite at the same count, in the
 * same run. Three pages: the newest 50, the page after it (the cursor the dashboard sends) and one
 * agent's newest 50. Target: < 50 ms for each on PostgreSQL.
 *
 * Filling: PostgreSQL by one server-side `INSERT … SELECT … FROM generate_series` (no row
 * crosses the wire; the usage-version triggers are off for the fill only), then ANALYZE, as a
 * database that grew to this size would have been analysed by autovacuum; SQLite through
 * bench/lib/bulk-jobs.ts (one transaction). The same rows on both: ids, agents, times, statuses.
 *
 *   npx vite-node bench/pg-jobs-page.ts [--quick]     (--quick: 200,000 jobs)
 *
 * Needs the test PostgreSQL (scripts/setup-machine.sh) and `npm run build` (the Postgres client's
 * worker thread is built code). Makes a database of its own and drops it after.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { FleetManager, StateManager } from "../packages/core/src/internal.js";
import { startWebServer } from "../packages/web/src/server/index.js";
import { scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { bulkInsertJobs } from "./lib/bulk-jobs.js";
import { figure, finish, fmt, median, percentile, QUICK } from "./lib/report.js";

const SIZE = QUICK ? 200_000 : 1_000_000;
const AGENTS = 50;
const PAGE = 50;
const RUNS = 31;
const TARGET_MS = 50;
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

async function admin<T>(work: (c: pg.Client) => Promise<T>, url = ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The rows bench/lib/bulk-jobs.ts writes to SQLite, made by the server itself. */
async function fillPostgres(url: string): Promise<number> {
  const t0 = performance.now();
  await admin(async (c) => {
    await c.query("begin");
    await c.query("alter table jobs disable trigger user");
    await c.query(
      `insert into jobs (id, agent, schedule, trigger_type, status, exit_reason, error, prompt, summary,
         runtime, docker, pid, created_at, started_at, finished_at, duration_ms, num_turns,
         input_tokens, output_tokens, cost_usd)
       select 'job-' || to_char(t, 'YYYYMMDDHH24MISS') || '-' || lpad(to_hex(i), 6, '0'),
         'agent-' || lpad((i % $2)::text, 2, '0'),
         case when i % 4 = 0 then 'poll' end,
         case when i % 4 = 0 then 'schedule' else 'manual' end,
         case when i % 10 = 3 then 'failed' else 'completed' end,
         case when i % 10 = 3 then 'error' else 'success' end,
         case when i % 10 = 3 then 'claude exited with code 1' end,
         'Triage new issues and label them.',
         case when i % 10 = 3 then null else 'Labelled 3 issues.' end,
         case when i % 2 = 0 then 'sdk' else 'cli' end, 0, 10000 + i % 30000,
         to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         to_char(t + interval '12 seconds', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 12000, 3, 1200, 300, 0.004
       from generate_series(0, $1 - 1) as i,
         lateral (select timestamp '2025-01-01 00:00:00' + i * interval '30 seconds' as t) as at`,
      [SIZE, AGENTS],
    );
    await c.query("alter table jobs enable trigger user");
    await c.query("commit");
    await c.query("analyze jobs");
  }, url);
  return performance.now() - t0;
}

interface Pages {
  first: number[];
  next: number[];
  agent: number[];
}

/** A FleetManager and web server on the fleet in `dir`, three pages asked RUNS times each (after one warm-up). */
async function timePages(dir: string, stateDir: string): Promise<Pages> {
  const fleet = new FleetManager({ config: dir, stateDir, watchConfig: false });
  await fleet.start();
  const web = await startWebServer(fleet, { host: "127.0.0.1", port: 0, stateDir, env: {} });
  const headers = { authorization: `Bearer ${readFileSync(join(stateDir, "web-token"), "utf8").trim()}` };
  const ask = async (query: string, runs: number[] | undefined) => {
    const t0 = performance.now();
    const res = await fetch(`${web.url}/api/jobs?${query}`, { headers });
    const body = (await res.json()) as { jobs: { id: string }[]; nextCursor?: string | null };
    runs?.push(performance.now() - t0);
    if (body.jobs.length !== PAGE) throw new Error(`${query}: ${body.jobs.length} jobs, not ${PAGE}`);
    return body;
  };
  const pages: Pages = { first: [], next: [], agent: [] };
  try {
    for (let i = 0; i <= RUNS; i++) {
      const first = await ask(`limit=${PAGE}`, i > 0 ? pages.first : undefined);
      const cursor = first.nextCursor ?? first.jobs.at(-1)!.id;
      await ask(`limit=${PAGE}&before=${encodeURIComponent(cursor)}`, i > 0 ? pages.next : undefined);
      await ask(`limit=${PAGE}&agent=agent-07`, i > 0 ? pages.agent : undefined);
    }
  } finally {
    await web.close();
    await fleet.stop({ timeoutMs: 1_000 });
  }
  return pages;
}

const dbName = `herdctl_bench_${process.pid}`;
const pgUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
// The fleet file names ${BENCH_PG_URL}; the config is interpolated from this process's environment.
process.env.BENCH_PG_URL = pgUrl;
await admin((c) => c.query(`create database "${dbName}"`));
const results: Record<"sqlite" | "postgres", Pages> = {} as never;
try {
  for (const backend of ["sqlite", "postgres"] as const) {
    const root = scratch(`herdctl-bench-pgpage-${backend}-`);
    try {
      const extra = backend === "postgres" ? "state:\n  backend: postgres\n  url: ${BENCH_PG_URL}\n" : "";
      writeFleetFiles(root.dir, "benchpage", { worker: "runtime: cli\n" }, extra);
      const stateDir = join(root.dir, ".herdctl");
      const schema = new StateManager(stateDir, {
        backend: backend === "postgres" ? { kind: "postgres", url: pgUrl } : { kind: "sqlite" },
      });
      schema.open();
      schema.close();
      const fillMs =
        backend === "postgres"
          ? await fillPostgres(pgUrl)
          : bulkInsertJobs(join(stateDir, "herdctl.db"), SIZE, AGENTS);
      console.log(`pg-jobs-page fill ${backend}@${SIZE}: ${fmt(fillMs)} (load ${load()})`);
      results[backend] = await timePages(root.dir, stateDir);
      console.log(`pg-jobs-page pages ${backend} done (load ${load()})`);
    } finally {
      root.cleanup();
    }
  }
} finally {
  await admin((c) => c.query(`drop database if exists "${dbName}" with (force)`));
}

console.log(
  `pg-jobs-page: ${SIZE.toLocaleString("en-US")} jobs, ${AGENTS} agents, ${RUNS} runs a page, load ${load()}`,
);
for (const page of ["first", "next", "agent"] as const) {
  const sqlite = median(results.sqlite[page]);
  const postgres = median(results.postgres[page]);
  figure(
    `GET /api/jobs ${page} page@${SIZE} PostgreSQL (baseline: SQLite, same rows) p99 ${fmt(percentile(results.postgres[page], 99))}`,
    fmt(sqlite),
    fmt(postgres),
    postgres / sqlite,
    `< ${TARGET_MS} ms`,
    postgres < TARGET_MS,
  );
}
finish();
