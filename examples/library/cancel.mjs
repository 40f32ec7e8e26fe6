// Starts a job and cancels it while the model is still thinking.
// Usage: node examples/library/cancel.mjs  (state goes in ./.herdctl of the current folder)
import { once } from "node:events";
import { FleetManager } from "@herdctl/core";

const fleet = new FleetManager({ config: { agents: [{ name: "slow" }] } });
await fleet.start();
try {
  const job = fleet.trigger("slow", { prompt: "Think this through carefully." });
  // claude's first message (system init) means it is up and working on the prompt.
  await once(fleet.events, "job:output");
  const cancelled = await fleet.cancel(job.id);
  console.log(`cancelled ${cancelled.id}: ${cancelled.status} (${cancelled.exitReason})`);
} finally {
  await fleet.stop();
}
