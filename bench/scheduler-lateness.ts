/**
 * Scheduler fire lateness on the real clock: 500 agents with 1–5 s intervals (first runs spread
 * over the first 5 s), each "job" ending 0–200 ms after it starts, for ~20 s. Lateness is when
 * onFire ran minus the nominal scheduledAt. Prints p50/p99/max lateness, the process CPU time used
 * (the scheduler is idle between fires) against an idle baseline, and RSS. Exits 1 if p99 lateness is 100 ms or more.
 *
 *   npx vite-node bench/scheduler-lateness.ts [seconds]
 */
import { performance } from "node:perf_hooks";
import { systemClock } from "../packages/core/src/scheduler/clock.js";
import { Scheduler } from "../packages/core/src/scheduler/scheduler.js";

const AGENTS = 500;
const RUN_SECONDS = Number(process.argv[2] ?? 20);
const TARGET_P99_MS = 100;
const MAX_JOB_MS = 200;

// A fixed-seed generator, so every run plans the same fleet.
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmt = (ms: number) => ms.toFixed(1);
const random = seeded(42);
const lateness: number[] = [];
const jobTimers = new Set<NodeJS.Timeout>();
let skips = 0;

const scheduler: Scheduler = new Scheduler({
  clock: systemClock,
  onFire: (fire) => {
    lateness.push(Date.now() - fire.scheduledAt.getTime());
    // The job runs elsewhere; the scheduler hears about it only through these calls.
    scheduler.runStarted(fire.agent, fire.schedule);
    const job = setTimeout(
      () => {
        jobTimers.delete(job);
        scheduler.runFinished(fire.agent, fire.schedule, new Date());
      },
      Math.floor(random() * MAX_JOB_MS),
    );
    jobTimers.add(job);
  },
  onSkip: () => skips++,
});

const planStart = performance.now();
for (let i = 0; i < AGENTS; i++) {
  scheduler.setSchedules(`agent-${i}`, {
    poll: {
      type: "interval",
      interval: 1_000 + Math.floor(random() * 4_001),
      start_delay: Math.floor(random() * 5_000),
    },
  });
}
const planMs = performance.now() - planStart;

// Keeps the process alive: the scheduler's own timers are unref'd.
const keepAlive = setInterval(() => {}, 60_000);
// What the runtime (vite-node included) costs with nothing scheduled, to set the figure below against.
const BASELINE_MS = 3_000;
const baselineBefore = process.cpuUsage();
await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
const baseline = process.cpuUsage(baselineBefore);
const baselineCpuPerS = (baseline.user + baseline.system) / BASELINE_MS;
const cpuBefore = process.cpuUsage();
const wallStart = performance.now();
scheduler.start();

await new Promise((resolve) => setTimeout(resolve, RUN_SECONDS * 1_000));

scheduler.stop();
const wallMs = performance.now() - wallStart;
const cpu = process.cpuUsage(cpuBefore);
for (const job of jobTimers) clearTimeout(job);
clearInterval(keepAlive);

const cpuMs = (cpu.user + cpu.system) / 1_000;
const sorted = [...lateness].sort((a, b) => a - b);
const p50 = percentile(sorted, 50);
const p99 = percentile(sorted, 99);
const rssMb = process.memoryUsage().rss / 1_048_576;
const ok = sorted.length > 0 && p99 < TARGET_P99_MS;

console.log(
  `scheduler-lateness: ${AGENTS} agents, 1–5 s intervals, ${fmt(wallMs / 1_000)} s on the real clock`,
);
console.log(`  planned ${AGENTS} schedules in ${fmt(planMs)} ms; ${lateness.length} fires, ${skips} skips`);
console.log(
  `  lateness p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms, max ${fmt(sorted.at(-1) ?? Number.NaN)} ms ` +
    `(target p99 < ${TARGET_P99_MS} ms)${ok ? "" : "  MISSED"}`,
);
console.log(
  `  CPU ${fmt(cpuMs)} ms over ${fmt(wallMs)} ms wall (${fmt((100 * cpuMs) / wallMs)}%, ` +
    `${fmt((1_000 * cpuMs) / Math.max(1, lateness.length))} µs per fire, simulated jobs included); ` +
    `RSS ${fmt(rssMb)} MB`,
);
console.log(
  `  idle baseline ${fmt(baselineCpuPerS)} ms CPU per s; above it: ` +
    `${fmt(cpuMs - (baselineCpuPerS * wallMs) / 1_000)} ms for ${lateness.length} fires and as many job ends`,
);
process.exit(ok ? 0 : 1);
