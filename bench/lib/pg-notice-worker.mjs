// The worker side of bench/pg-job-end.ts, on the built code with plain node: a FleetManager that
// only claims jobs from the fleet's PostgreSQL queue and answers each at once with a synthetic
// runtime (no claude), so the figure is herdctl's own path from a job's end to its daemon. A job
// whose prompt starts with "hold" runs until it is cancelled.
//   node pg-notice-worker.mjs <fleet-dir> [<cancel poll ms>]   → "ready" on stdout; SIGTERM stops it.
import { FleetManager } from "@herdctl/core";
import { RuntimeError } from "@herdctl/core/internal";

const [dir, cancelPollMs] = process.argv.slice(2);

const synthetic = () => ({
  type: "cli",
  async *execute(options) {
    const session_id = options.sessionId ?? "00000000-0000-4000-8000-000000000000";
    yield { type: "system", subtype: "init", session_id };
    if (options.prompt.startsWith("hold")) {
      await new Promise((resolve) => options.signal.addEventListener("abort", resolve, { once: true }));
      // What a real runtime says when its claude is stopped by a cancel.
      throw new RuntimeError({ reason: "cancelled", runtime: "cli" });
    }
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
  ...(cancelPollMs ? { jobNotices: { pollMs: Number(cancelPollMs) } } : {}),
});
await fleet.start();
process.stdout.write("ready\n");
process.once("SIGTERM", () => void fleet.stop({ timeoutMs: 5_000 }).then(() => process.exit(0)));
