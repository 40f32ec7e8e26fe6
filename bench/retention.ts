/**
 * The dashboard's job list while the daemon prunes: at 100,000 jobs a client in its own process
 * asks for `GET /api/jobs` (a page of 50) back to back while `prune` removes 30,000 records
 * (max_jobs_per_agent over 50 agents) with their events in the daemon, then vacuums. Baseline: the
 * same client against the same daemon for the same time just before, with nothing pruning. The
 * prune's own time and what it freed are reported; the page's p50 and p99 during it are the figure.
 *
 *   npx vite-node bench/retention.ts [--quick]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FleetManager } from "../packages/core/src/index.js";
import { StateManager } from "../packages/core/src/state/index.js";
import { startWebServer } from "../packages/web/src/server/index.js";
import { scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { bulkInsertJobs } from "./lib/bulk-jobs.js";
import { figure, finish, fmt, percentile, QUICK } from "./lib/report.js";

const JOBS = 100_000;
const AGENTS = 50;
const KEEP = 1_400; // of 2,000 per agent: 30,000 records go
const TARGET_MS = 50;
const HAMMER = fileURLToPath(new URL("./lib/page-hammer.mjs", import.meta.url));

/** Starts the client; resolves with a function that stops it and returns its latencies. */
async function hammer(url: string, token: string): Promise<() => Promise<number[]>> {
  const child = spawn(process.execPath, [HAMMER, url], {
    env: { ...process.env, HERDCTL_BENCH_TOKEN: token },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    const check = () => (out.startsWith("ready\n") ? resolve() : setTimeout(check, 5));
    check();
  });
  return async () => {
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`the page client exited ${code}`);
    return JSON.parse(out.slice("ready\n".length)) as number[];
  };
}

const root = scratch("herdctl-bench-retention-");
try {
  writeFleetFiles(root.dir, "benchretention", { worker: "runtime: cli\n" });
  const stateDir = join(root.dir, ".herdctl");
  const schema = new StateManager(stateDir);
  schema.open();
  schema.close();
  const fillMs = bulkInsertJobs(join(stateDir, "herdctl.db"), JOBS, AGENTS);
  console.log(`retention fill@${JOBS}: ${fmt(fillMs)} (one transaction)`);

  const fleet = new FleetManager({ config: root.dir, stateDir, watchConfig: false, env: {} });
  await fleet.start();
  const web = await startWebServer(fleet, { host: "127.0.0.1", port: 0, stateDir, env: {} });
  const token = readFileSync(join(stateDir, "web-token"), "utf8").trim();
  const page = `${web.url}/api/jobs?limit=50`;
  try {
    // The first prune of a database converts it to incremental vacuum with one full VACUUM; a
    // daemon pays that once in its life, so it is done (and timed) before the measured prune.
    const first = await fleet.prune({ limits: { max_jobs_per_agent: 1_990 } });
    console.log(`retention first prune (converts to incremental vacuum): ${first.records} records`);

    const t0 = performance.now();
    const stop = await hammer(page, token);
    const report = await fleet.prune({ limits: { max_jobs_per_agent: KEEP } });
    const pruneMs = performance.now() - t0;
    const during = await stop();
    if (report.records !== (1_990 - KEEP) * AGENTS)
      throw new Error(`the prune removed ${report.records} records, not ${(1_990 - KEEP) * AGENTS}`);

    // Baseline after, for as long as the prune took, so both see the same database size class.
    const stopIdle = await hammer(page, token);
    await new Promise((r) => setTimeout(r, Math.max(1_000, pruneMs)));
    const idle = await stopIdle();

    console.log(
      `retention prune of ${report.records} records: ${fmt(pruneMs)}, database ${(report.databaseBytesBefore / 1e6).toFixed(1)} MB → ${(report.databaseBytesAfter / 1e6).toFixed(1)} MB; ${during.length} pages during it, ${idle.length} idle`,
    );
    for (const p of [50, 99]) {
      const base = percentile(idle, p);
      const ours = percentile(during, p);
      figure(
        `retention GET /api/jobs page p${p} during a prune@${JOBS} (baseline: idle daemon)`,
        fmt(base),
        fmt(ours),
        ours / base,
        `< ${TARGET_MS} ms`,
        ours < TARGET_MS,
      );
    }
    if (QUICK) console.log("retention: --quick runs the same (one prune)");
  } finally {
    await web.close();
    await fleet.stop({ timeoutMs: 1_000 });
  }
} finally {
  root.cleanup();
}
finish();
