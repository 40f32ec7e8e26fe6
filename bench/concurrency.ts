/**
 * 20 real jobs at once (real claude, CLI runtime, the stand-in answering after 2 s): throughput
 * against 20 plain `claude -p` started together, and the daemon's own RSS growth per running job
 * (this process is the daemon; claude processes are separate and not counted).
 *
 *   npx vite-node bench/concurrency.ts [--quick]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { FleetManager } from "../packages/core/src/index.js";
import { claudeEnv, claudePath } from "../packages/core/test/helpers/claude-env.js";
import { startStandin, textReply } from "../packages/standin/src/index.js";
import { scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, QUICK } from "./lib/report.js";

const JOBS = QUICK ? 10 : 20;
const DELAY_MS = 2_000;
const root = scratch("herdctl-bench-concurrency-");
const standin = await startStandin({ responder: () => textReply("done", { delayMs: DELAY_MS }) });
const env = claudeEnv(standin, root.dir);
writeFleetFiles(root.dir, "benchconc", { worker: `runtime: cli\ninstances: { max_concurrent: ${JOBS} }\n` });

function plainClaude(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(claudePath, ["-p", "--output-format", "stream-json", "--verbose"], {
      cwd: join(root.dir, "workspace"),
      env: { ...process.env, ...env },
      stdio: ["pipe", "ignore", "ignore"],
    });
    child.stdin.end("Say hello.");
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`claude exited ${code}`))));
  });
}

// Warm-up: claude's first-run files.
await plainClaude();
const b0 = performance.now();
await Promise.all(Array.from({ length: JOBS }, plainClaude));
const baseSeconds = (performance.now() - b0) / 1000;

const fleet = new FleetManager({ config: root.dir, env, watchConfig: false });
await fleet.start();
await fleet.wait(fleet.trigger("worker", { prompt: "warm up" }).id);
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
let runningPeak = 0;
const sampler = setInterval(() => {
  const running = fleet.status().counts.running;
  runningPeak = Math.max(runningPeak, running);
  if (running === JOBS) peak = Math.max(peak, process.memoryUsage().rss);
}, 100);
const t0 = performance.now();
const ids = Array.from(
  { length: JOBS },
  (_, i) => fleet.trigger("worker", { prompt: `job ${i}`, fresh: true }).id,
);
const jobs = await Promise.all(ids.map((id) => fleet.wait(id)));
const oursSeconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
await fleet.stop({ timeoutMs: 5_000 });
await standin.close();
root.cleanup();

const completed = jobs.filter((j) => j.status === "completed").length;
const perJobMb = (peak - rssBefore) / 1_048_576 / JOBS;
const baseRate = JOBS / baseSeconds;
const ourRate = JOBS / oursSeconds;
console.log(
  `concurrency: ${completed}/${JOBS} completed, ${runningPeak} running at the peak; stand-in delay ${DELAY_MS} ms`,
);
figure(
  `concurrency throughput, ${JOBS} jobs at once`,
  `${baseRate.toFixed(2)} jobs/s`,
  `${ourRate.toFixed(2)} jobs/s`,
  ourRate / baseRate,
  "≥ 0.9× plain claude",
  ourRate >= baseRate * 0.9 && completed === JOBS,
);
figure(
  "concurrency daemon RSS per running job",
  undefined,
  fmt(perJobMb, "MB"),
  undefined,
  "< 5 MB",
  perJobMb < 5 && runningPeak === JOBS,
);
finish();
