/**
 * Job history through the two ways users list it: `herdctl jobs` (the built CLI, spawned: node
 * start-up included) and `GET /api/jobs` on a real web server, one page of 50 at 1,000 / 10,000 /
 * 100,000 jobs. The jobs are bulk-inserted with one SQLite transaction matching the jobs table
 * (the repository API takes ~40 s for 100,000). Baselines: the same page at 1,000 jobs, and for
 * the CLI also `herdctl --version` (the cost of starting node and the CLI at all).
 *
 *   npx vite-node bench/job-history-api.ts [--quick]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FleetManager, StateManager } from "../packages/core/src/index.js";
import { startWebServer } from "../packages/web/src/server/index.js";
import { CLI, scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const SIZES = QUICK ? [1_000, 100_000] : [1_000, 10_000, 100_000];
const AGENTS = 50;
const PAGE = 50;
const API_RUNS = 31;
const CLI_RUNS = QUICK ? 1 : 7;
const TARGET_MS = 50;
const START = Date.parse("2025-01-01T00:00:00.000Z");
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function jobId(at: Date, i: number): string {
  const stamp = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  let suffix = "";
  for (let n = i, k = 0; k < 6; k++, n = Math.floor(n / 36)) suffix += ALPHABET[n % 36];
  return `job-${stamp}-${suffix}`;
}

function bulkInsert(dbPath: string, size: number): number {
  const t0 = performance.now();
  const db = new Database(dbPath);
  const insert =
    db.prepare(`INSERT INTO jobs (id, agent, schedule, trigger_type, status, exit_reason, error, prompt,
    summary, session_id, runtime, docker, pid, created_at, started_at, finished_at, duration_ms, num_turns,
    input_tokens, output_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 3, 1200, 300, 0.004)`);
  db.transaction(() => {
    for (let i = 0; i < size; i++) {
      const at = new Date(START + i * 30_000);
      const failed = i % 10 === 3;
      insert.run(
        jobId(at, i),
        `agent-${String(i % AGENTS).padStart(2, "0")}`,
        i % 4 === 0 ? "poll" : null,
        i % 4 === 0 ? "schedule" : "manual",
        failed ? "failed" : "completed",
        failed ? "error" : "success",
        failed ? "claude exited with code 1" : null,
        "Triage new issues and label them.",
        failed ? null : "Labelled 3 issues.",
        null,
        i % 2 === 0 ? "sdk" : "cli",
        10_000 + (i % 30_000),
        at.toISOString(),
        at.toISOString(),
        new Date(at.getTime() + 12_000).toISOString(),
        12_000,
      );
    }
  })();
  db.close();
  return performance.now() - t0;
}

function timeCli(args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`herdctl ${args.join(" ")}: exit ${code}\n${err}`)),
    );
  });
}

const api: Record<number, number> = {};
const cli: Record<number, number> = {};
let version = 0;
for (const size of SIZES) {
  const root = scratch("herdctl-bench-history-");
  try {
    writeFleetFiles(root.dir, "benchhistory", { worker: "runtime: cli\n" });
    const stateDir = join(root.dir, ".herdctl");
    const schema = new StateManager(stateDir);
    schema.open();
    schema.close();
    const insertMs = bulkInsert(join(stateDir, "herdctl.db"), size);
    console.log(`job-history-api fill@${size}: ${fmt(insertMs)} (one transaction)`);

    // No daemon: `herdctl jobs` reads the database itself, as it does on a stopped fleet.
    const cliRuns: number[] = [];
    for (let i = 0; i <= CLI_RUNS; i++) {
      const ms = await timeCli(["jobs", "--json", "-l", String(PAGE)], root.dir);
      if (i > 0) cliRuns.push(ms);
    }
    cli[size] = median(cliRuns);
    if (version === 0) {
      const v: number[] = [];
      for (let i = 0; i <= CLI_RUNS; i++) v.push(await timeCli(["--version"], root.dir));
      version = median(v.slice(1));
    }

    const fleet = new FleetManager({ config: root.dir, stateDir, watchConfig: false, env: {} });
    await fleet.start();
    const web = await startWebServer(fleet, { host: "127.0.0.1", port: 0, stateDir, env: {} });
    const bearer = { authorization: `Bearer ${readFileSync(join(stateDir, "web-token"), "utf8").trim()}` };
    try {
      const runs: number[] = [];
      let count = 0;
      for (let i = 0; i <= API_RUNS; i++) {
        const t0 = performance.now();
        const res = await fetch(`${web.url}/api/jobs?limit=${PAGE}`, { headers: bearer });
        const body = (await res.json()) as { jobs: unknown[] };
        if (i > 0) runs.push(performance.now() - t0);
        count = body.jobs.length;
      }
      if (count !== PAGE) throw new Error(`the page held ${count} jobs, not ${PAGE}`);
      api[size] = median(runs);
    } finally {
      await web.close();
      await fleet.stop({ timeoutMs: 1_000 });
    }
  } finally {
    root.cleanup();
  }
}

const base = SIZES[0]!;
for (const size of SIZES) {
  figure(
    `job-history GET /api/jobs page@${size}`,
    fmt(api[base]!),
    fmt(api[size]!),
    api[size]! / api[base]!,
    `< ${TARGET_MS} ms`,
    api[size]! < TARGET_MS,
  );
}
for (const size of SIZES) {
  figure(
    `job-history herdctl jobs page@${size} (process time, node start-up included; baseline herdctl --version)`,
    fmt(version),
    fmt(cli[size]!),
    cli[size]! / version,
    "reported",
    true,
  );
}
finish();
