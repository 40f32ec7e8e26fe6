// The worker side of bench/pg-job-end.ts, on the built code with plain node: a FleetManager that
// only claims jobs from the fleet's PostgreSQL queue and answers each at once with a synthetic
// runtime (no claude), so the figure is herdctl's own path from a job's end to its daemon.
//   node pg-notice-worker.mjs <fleet-dir>   → "ready" on stdout; SIGTERM stops it.
import { FleetManager } from "@herdctl/core";

const [dir] = process.argv.slice(2);

const synthetic = () => ({
  type: "cli",
  async *execute(options) {
    const session_id = options.sessionId ?? "00000000-0000-4000-8000-000000000000";
    yield { type: "system", subtype: "init", session_id };
    yield {
      type: "result",
      subtype: "success",
      is_error: false,
      result: "done",
      session_id,
      num_turns: 1,
      duration_ms: 1,
      total_cost_usd: 0,
      usage: { input_tokens: 1, output_tokens: 1 },
    };
  },
});

const fleet = new FleetManager({
  config: dir,
  watchConfig: false,
  env: {},
  background: false,
  createRuntime: synthetic,
  worker: { id: "bench-notice-worker", maxConcurrent: 1, version: "bench" },
});
await fleet.start();
process.stdout.write("ready\n");
process.once("SIGTERM", () => void fleet.stop({ timeoutMs: 5_000 }).then(() => process.exit(0)));
