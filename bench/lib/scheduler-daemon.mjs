// The daemon side of bench/scheduler-fleet.ts, run on the built code with plain node so its CPU
// and RSS are herdctl's own (no vite-node in the process):
//   node scheduler-daemon.mjs <fleet-dir> <warmup-s> <measure-s>   → one JSON line on stdout.
import { FleetManager } from "@herdctl/core";

const [dir, warmupArg, measureArg] = process.argv.slice(2);
const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));

// Answers like claude would, minus claude: an init message, then a result after 0–200 ms.
const synthetic = () => ({
  type: "cli",
  async *execute(options) {
    const session_id = options.sessionId ?? "00000000-0000-4000-8000-000000000000";
    yield { type: "system", subtype: "init", session_id };
    await sleep(Math.random() * 0.2);
    yield {
      type: "result",
      subtype: "success",
      is_error: false,
      result: "polled",
      session_id,
      num_turns: 1,
      duration_ms: 100,
      total_cost_usd: 0,
      usage: { input_tokens: 10, output_tokens: 5 },
    };
  },
});

const lateness = [];
let failed = 0;
const fleet = new FleetManager({ config: dir, watchConfig: false, env: {}, createRuntime: synthetic });
fleet.events.on("schedule:fired", (e) => lateness.push(Date.now() - Date.parse(e.scheduledAt)));
fleet.events.on("job:failed", () => failed++);
await fleet.start();
await sleep(Number(warmupArg));
lateness.length = 0;
let peakRssMb = 0;
const sampler = setInterval(
  () => (peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 1_048_576)),
  250,
);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await sleep(Number(measureArg));
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
clearInterval(sampler);
const rssMb = process.memoryUsage().rss / 1_048_576;
await fleet.stop({ timeoutMs: 5_000 });
console.log(
  JSON.stringify({
    cpuPercent: (100 * (cpu.user + cpu.system)) / 1000 / wallMs,
    rssMb,
    peakRssMb: Math.max(peakRssMb, rssMb),
    lateness,
    failed,
  }),
);
