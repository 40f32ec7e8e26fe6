/**
 * The dashboard's job list while the daemon prunes: at 100,000 jobs a client in its own process
 * asks for `GET /api/jobs` (a page of 50) back to back while `prune` removes 30,000 records
 * (max_jobs_per_agent over 50 agents) with their events in the daemon, then vacuums. Baseline: the
 * same client against the same daemon for the same time just before, with nothing pruning. The
 * prune's own time and what it freed are reported; the page's p50 and p99 during it are the figure.
 * The daemon's event-loop stalls (`monitorEventLoopDelay`, p99 and max) during the prune against
 * idle are reported too. The prune runs in a worker thread with its own connection, so its steps
 * never hold the daemon's event loop; what is left is the competition for the machine's cores
 * (the worker and the daemon's thread share them) and for SQLite's write lock. CPU time of the
 * whole process (both threads) and of the daemon's event loop alone (its utilization) is reported,
 * since wall time on a loaded machine says more about the machine.
 *
 *   npx vite-node bench/retention.ts [--quick]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
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

/** Watches the event loop of this process (the daemon's) from now until the returned stop. */
function watchLoop(): () => IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return () => {
    h.disable();
    return h;
  };
}
const ms = (ns: number) => ns / 1e6;

/** CPU time of this process (every thread) since `from`, ms. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};

/** CPU time so far of this process's main thread alone (the daemon's event loop), ms. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
}

/**
 * Writes of the daemon's own, every 50 ms (an audit entry: one IMMEDIATE transaction on its
 * connection); resolves with how long each took, lock wait included.
 */
function daemonWrites(fleet: FleetManager): () => number[] {
  const took: number[] = [];
  const timer = setInterval(() => {
    const t0 = performance.now();
    fleet.recordAudit("bench.write", { via: "bench", who: "retention" }, null);
    took.push(performance.now() - t0);
  }, 50);
  return () => {
    clearInterval(timer);
    return took;
  };
}

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
    const loopDuring = watchLoop();
    const cpuDuring = process.cpuUsage();
    const mainDuring = mainThreadCpuMs();
    const writesDuring = daemonWrites(fleet);
    const report = await fleet.prune({ limits: { max_jobs_per_agent: KEEP } });
    const pruneMs = performance.now() - t0;
    const writeMsDuring = writesDuring();
    const daemonCpuDuring = mainThreadCpuMs() - mainDuring;
    const processCpuDuring = cpuMs(cpuDuring);
    const stallsDuring = loopDuring();
    const during = await stop();
    if (report.records !== (1_990 - KEEP) * AGENTS)
      throw new Error(`the prune removed ${report.records} records, not ${(1_990 - KEEP) * AGENTS}`);

    // Baseline after, for as long as the prune took, so both see the same database size class.
    const stopIdle = await hammer(page, token);
    const loopIdle = watchLoop();
    const cpuIdle = process.cpuUsage();
    const mainIdle = mainThreadCpuMs();
    const writesIdle = daemonWrites(fleet);
    await new Promise((r) => setTimeout(r, Math.max(1_000, pruneMs)));
    const writeMsIdle = writesIdle();
    const daemonCpuIdle = mainThreadCpuMs() - mainIdle;
    const processCpuIdle = cpuMs(cpuIdle);
    const stallsIdle = loopIdle();
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
    // The daemon's own thread: its CPU per page served, the prune's worker not included (it runs beside it).
    const perPage = (ms: number, pages: number) => ms / Math.max(1, pages);
    console.log(
      `retention CPU: during the prune ${fmt(processCpuDuring)} for the process (daemon + prune worker), ${fmt(daemonCpuDuring)} of it the daemon's thread; idle for as long ${fmt(processCpuIdle)}, ${fmt(daemonCpuIdle)} the daemon's thread`,
    );
    figure(
      `retention daemon thread CPU per page served during a prune@${JOBS} (baseline: idle daemon)`,
      fmt(perPage(daemonCpuIdle, idle.length)),
      fmt(perPage(daemonCpuDuring, during.length)),
      perPage(daemonCpuDuring, during.length) / perPage(daemonCpuIdle, idle.length),
      "reported (the prune's work is not on this thread)",
      true,
    );
    for (const p of [99, 100])
      figure(
        `retention daemon write (one audit entry) ${p === 100 ? "max" : `p${p}`} during a prune@${JOBS}, waiting for the prune's write lock included (baseline: idle daemon)`,
        fmt(percentile(writeMsIdle, p)),
        fmt(percentile(writeMsDuring, p)),
        percentile(writeMsDuring, p) / percentile(writeMsIdle, p),
        "reported",
        true,
      );
    for (const [name, pick] of [
      ["p99", (h: IntervalHistogram) => h.percentile(99)],
      ["max", (h: IntervalHistogram) => h.max],
    ] as const)
      figure(
        `retention daemon event-loop stall ${name} during a prune@${JOBS} (baseline: idle daemon serving the same client)`,
        fmt(ms(pick(stallsIdle))),
        fmt(ms(pick(stallsDuring))),
        pick(stallsDuring) / pick(stallsIdle),
        "reported",
        true,
      );
    if (QUICK) console.log("retention: --quick runs the same (one prune)");
  } finally {
    await web.close();
    await fleet.stop({ timeoutMs: 1_000 });
  }
} finally {
  root.cleanup();
}
finish();
