/**
 * The state layer's seam on PostgreSQL (issue #17): what one synchronous repository call costs
 * through SyncPgClient (a worker thread runs `pg`, the caller blocks on Atomics.wait) against the
 * same query through `pg` directly (awaited) and through better-sqlite3 as today, in one run:
 * - a point read (a job by id) and an insert, one call at a time, p50 and p99 per call;
 * - how long the event loop stands still: a timer due every 1 ms while 200 facade reads run in one
 *   synchronous burst, against the same 200 reads awaited through `pg` (the loop is free meanwhile).
 * better-sqlite3 is the floor; the ratios are to it and to `pg` awaited. Reports only (no target).
 *
 *   npx vite-node bench/pg-state.ts [--quick]       (needs `npm run build`: the worker is built code)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { SyncPgClient } from "../packages/core/src/state/pg/sync-client.js";
import { figure, finish, fmt, percentile, QUICK } from "./lib/report.js";

const CALLS = QUICK ? 300 : 3_000;
const ROWS = 1_000;
const BURST = 200;
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const TABLE = `CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, agent TEXT NOT NULL, status TEXT NOT NULL,
  prompt TEXT NOT NULL, created_at TEXT NOT NULL, cost_usd REAL)`;
const READ = "SELECT * FROM jobs WHERE id = ?";
const INSERT = "INSERT INTO jobs (id, agent, status, prompt, created_at) VALUES (?, ?, 'queued', ?, ?)";

function timeEach(n: number, one: (i: number) => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    one(i);
    times.push(performance.now() - t);
  }
  return times;
}

async function timeEachAsync(n: number, one: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await one(i);
    times.push(performance.now() - t);
  }
  return times;
}

/** The longest gap between ticks of a 1 ms timer while `work` runs. */
async function longestStall(work: () => Promise<void> | void): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  last = performance.now();
  longest = 0;
  await work();
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(timer);
  return longest;
}

const id = (i: number) => `job-${String(i).padStart(6, "0")}`;
const row = (i: number) => [
  id(i),
  "triager",
  `prompt ${i} `.repeat(20),
  new Date(1_700_000_000_000 + i).toISOString(),
];

async function main(): Promise<void> {
  const dbName = `herdctl_bench_state_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.query(`create database ${dbName}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  const dir = mkdtempSync(join(tmpdir(), "herdctl-bench-state-"));
  try {
    const sqlite = new Database(join(dir, "state.db"));
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.exec(TABLE);
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    await direct.query(TABLE);
    const facade = new SyncPgClient(url);
    const readPg = READ.replace("?", "$1");
    const insertPg = INSERT.replace(
      /\?/g,
      (() => {
        let n = 0;
        return () => `$${++n}`;
      })(),
    );

    const ins = sqlite.prepare(INSERT);
    for (let i = 0; i < ROWS; i++) ins.run(...row(i));
    for (let i = 0; i < ROWS; i++) await direct.query(insertPg, row(i + ROWS));
    // The facade reads what `pg` wrote: one table, one server.
    const read = sqlite.prepare(READ);
    const target = (i: number) => id((i * 7919) % ROWS);
    const targetPg = (i: number) => id(ROWS + ((i * 7919) % ROWS));

    const sqliteRead = timeEach(CALLS, (i) => read.get(target(i)));
    const directRead = await timeEachAsync(CALLS, (i) => direct.query(readPg, [targetPg(i)]));
    const facadeRead = timeEach(CALLS, (i) => facade.query(READ, [targetPg(i)]));
    const sqliteInsert = timeEach(CALLS, (i) => ins.run(...row(10 * ROWS + i)));
    const directInsert = await timeEachAsync(CALLS, (i) => direct.query(insertPg, row(20 * ROWS + i)));
    const facadeInsert = timeEach(CALLS, (i) => facade.query(INSERT, row(30 * ROWS + i)));

    const stallFacade = await longestStall(() => {
      for (let i = 0; i < BURST; i++) facade.query(READ, [targetPg(i)]);
    });
    const stallDirect = await longestStall(async () => {
      for (let i = 0; i < BURST; i++) await direct.query(readPg, [targetPg(i)]);
    });

    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} · ${CALLS} calls each`,
    );
    for (const [what, s, d, f] of [
      ["point read", sqliteRead, directRead, facadeRead],
      ["insert", sqliteInsert, directInsert, facadeInsert],
    ] as const) {
      for (const p of [50, 99]) {
        const [ps, pd, pf] = [percentile(s, p), percentile(d, p), percentile(f, p)];
        console.log(
          `${what} p${p}: better-sqlite3 ${fmt(ps)} · pg awaited ${fmt(pd)} · facade ${fmt(pf)} (facade/pg ${(pf / pd).toFixed(2)}, facade/sqlite ${(pf / ps).toFixed(0)}×)`,
        );
      }
      const pf = percentile(f, 50);
      const pd = percentile(d, 50);
      figure(`facade ${what} p50 vs pg awaited`, fmt(pd), fmt(pf), pf / pd, "report only", true);
    }
    console.log(
      `longest event-loop stall, ${BURST} reads: facade in one synchronous burst ${fmt(stallFacade)} · pg awaited ${fmt(stallDirect)}`,
    );
    facade.close();
    await direct.end();
    sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
  finish();
}

await main();
