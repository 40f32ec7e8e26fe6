/**
 * The dashboard's job list while the daemon prunes: at 100,000 jobs a client in its own process
 * asks for `GET /api/jobs` (a page of 50) back to back while `prune` removes 30,000 records
 * (max_jobs_per_agent over 50 agents) with their events in the daemon, then vacuums. Baseline: the
 * same client against the same daemon for the same time just before, with nothing pruning. The
 * prune's own time and what it freed are reported; the page's p50 and p99 during it are the figure.
 * The daemon's event-loop stalls (`monitorEventLoopDelay`, p99 and max) during the prune against
 * idle are reported too: unlike page latency, a stall the prune causes does not grow with the
 * machine's load as page latency does. Under a heavy load both grow with the time the daemon waits
 * for a core, so the prune's synchronous steps (the repository calls it makes between yields) are
 * also timed in CPU time: the longest is the longest a page can wait for the prune on a quiet
 * machine, whatever this one's load.
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

interface Step {
  readonly name: string;
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Times every call of these methods of `target` (wall and CPU), into the returned list. */
function timeCalls(target: object, names: readonly string[]): Step[] {
  const steps: Step[] = [];
  const methods = target as Record<string, (...args: unknown[]) => unknown>;
  for (const name of names) {
    const original = methods[name]!.bind(target);
    methods[name] = (...args: unknown[]) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      try {
        return original(...args);
      } finally {
        const c = process.cpuUsage(c0);
        steps.push({ name, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 });
      }
    };
  }
  return steps;
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
    const steps = timeCalls(fleet.state.retention, [
      "plan",
      "agents",
      "overLimit",
      "deleteJobs",
      "vacuumSlice",
      "vacuum",
    ]);
    const loopDuring = watchLoop();
    const report = await fleet.prune({ limits: { max_jobs_per_agent: KEEP } });
    const pruneMs = performance.now() - t0;
    const stallsDuring = loopDuring();
    const during = await stop();
    if (report.records !== (1_990 - KEEP) * AGENTS)
      throw new Error(`the prune removed ${report.records} records, not ${(1_990 - KEEP) * AGENTS}`);

    // Baseline after, for as long as the prune took, so both see the same database size class.
    const stopIdle = await hammer(page, token);
    const loopIdle = watchLoop();
    await new Promise((r) => setTimeout(r, Math.max(1_000, pruneMs)));
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
    const kinds = [...new Set(steps.map((s) => s.name))];
    for (const kind of kinds) {
      const of = steps.filter((s) => s.name === kind);
      console.log(
        `retention step ${kind}: ${of.length} calls, CPU max ${fmt(Math.max(...of.map((s) => s.cpuMs)))} (p99 ${fmt(
          percentile(
            of.map((s) => s.cpuMs),
            99,
          ),
        )}), wall max ${fmt(Math.max(...of.map((s) => s.wallMs)))}`,
      );
    }
    const longest = steps.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
    figure(
      `retention longest synchronous prune step@${JOBS}, CPU time (${longest.name})`,
      undefined,
      fmt(longest.cpuMs),
      undefined,
      `< ${TARGET_MS} ms (a page waits at most one step)`,
      longest.cpuMs < TARGET_MS,
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
