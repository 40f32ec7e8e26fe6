// One herdctl cluster worker (packages/core's ClusterWorker, built code) for bench/pg-workers.ts:
// its "job" waits `payload.ms` (a simulated reply), then finishes. Prints `ready` once registered.
// Usage: node pg-cluster-worker.mjs <postgres-url> <id> <max-concurrent>
import { ClusterWorker } from "../../packages/core/dist/cluster/cluster-worker.js";

const [url, id, maxConcurrent] = process.argv.slice(2);
const worker = new ClusterWorker({
  connectionString: url,
  identity: { id, labels: [], maxConcurrent: Number(maxConcurrent), version: "bench" },
  onEvent: (e) => {
    if (e.event === "registered") process.stdout.write("ready\n");
    if (e.event === "error") process.stderr.write(`${id}: ${e.where}: ${e.message}\n`);
  },
  run: (job, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ status: "completed" }), Number(job.payload.ms ?? 0));
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve({ status: "cancelled" });
      });
    }),
});
await worker.start();
process.on("SIGTERM", () => worker.stop({ drain: false }).then(() => process.exit(0)));
