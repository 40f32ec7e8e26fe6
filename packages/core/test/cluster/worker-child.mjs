// One worker machine: a ClusterWorker whose "work" is a timer of `payload.ms` (or, with
// `payload.hang`, until its lease is lost). Prints a JSON line per event, each with `at` (epoch
// ms) and `worker` (its id); `{ "event": "started", "id": n }` each time it begins a job.
// Stops gracefully on SIGTERM.
// Usage: node worker-child.mjs <postgres-url> '<options json>'
//   options: { id, labels, maxConcurrent, leaseMs?, heartbeatMs?, reapMs?, pollMs? }
import { ClusterWorker } from "../../dist/cluster/cluster-worker.js";

const [url, json] = process.argv.slice(2);
const o = JSON.parse(json);
const say = (event, extra = {}) =>
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), worker: o.id, ...extra })}\n`);

const worker = new ClusterWorker({
  connectionString: url,
  identity: { id: o.id, labels: o.labels, maxConcurrent: o.maxConcurrent, version: "test" },
  leaseMs: o.leaseMs,
  heartbeatMs: o.heartbeatMs,
  reapMs: o.reapMs,
  pollMs: o.pollMs,
  onEvent: (e) => {
    if (e.event === "claimed")
      say("claimed", { id: e.job.id, agent: e.job.agent, resumedFrom: e.job.resumedFrom });
    else {
      const { event, ...rest } = e;
      say(event, rest);
    }
  },
  run: (job, signal) =>
    new Promise((resolve) => {
      say("started", { id: job.id });
      if (signal.aborted) return resolve({ status: "cancelled" });
      const timer = job.payload.hang
        ? undefined
        : setTimeout(() => resolve({ status: "completed" }), job.payload.ms ?? 0);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve({ status: "cancelled" });
      });
    }),
});
await worker.start();
process.on("SIGTERM", () => worker.stop().then(() => process.exit(0)));
