// Starts a job and cancels it while the model is still thinking.
// Usage: node examples/library/cancel.mjs  (state goes in ./.herdctl of the current folder)
import { FleetManager } from "@herdctl/core";

const fleet = new FleetManager({ config: { agents: [{ name: "slow" }] } });
await fleet.start();
try {
  let job;
  // claude's first message (system init) means it is up and working on the prompt.
  const started = new Promise((resolve) => {
    job = fleet.trigger("slow", { prompt: "Think this through carefully.", onMessage: resolve });
  });
  await started;
  const cancelled = await fleet.cancel(job.id);
  console.log(`cancelled ${cancelled.id}: ${cancelled.status} (${cancelled.exitReason})`);
} finally {
  await fleet.stop();
}
