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
import { FleetManager, StateManager } from "../packages/core/src/internal.js";
import { startWebServer } from "../packages/web/src/server/index.js";
import { CLI, scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { bulkInsertJobs } from "./lib/bulk-jobs.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const SIZES = QUICK ? [1_000, 100_000] : [1_000, 10_000, 100_000];
const AGENTS = 50;
const PAGE = 50;
const API_RUNS = 31;
const CLI_RUNS = QUICK ? 1 : 7;
const TARGET_MS = 50;

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
    const insertMs = bulkInsertJobs(join(stateDir, "herdctl.db"), size, AGENTS);
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
