// Subscribes to the fleet's events, adds an agent with a schedule while the fleet runs, waits
// for the schedule's first job, then removes the schedule and the agent again.
// Usage: node examples/library/runtime-changes.mjs  (state goes in ./.herdctl of the current folder)
import { once } from "node:events";
import { FleetManager } from "@herdctl/core";

const fleet = new FleetManager({ config: { fleet: { name: "runtime" } } });
fleet.events.on("job:started", (job) => console.log(`event started ${job.id} ${job.agent}/${job.schedule}`));
fleet.events.on("job:output", ({ jobId, message }) => {
  if (message.type === "result") console.log(`event output ${jobId} result: ${message.subtype}`);
});
fleet.events.on("job:completed", (job) => console.log(`event completed ${job.id}: ${job.summary}`));
fleet.events.on("schedule:fired", (e) => console.log(`event fired ${e.agent}/${e.schedule} ${e.jobId}`));
await fleet.start();
try {
  await fleet.addAgent({ name: "pinger" });
  await fleet.addSchedule("pinger", "ping", { type: "interval", interval: "2s", prompt: "Ping." });
  const [fired] = await once(fleet.events, "schedule:fired");
  const job = await fleet.wait(fired.jobId);
  console.log(`scheduled job ${job.id} ${job.status}`);

  await fleet.removeSchedule("pinger", "ping");
  const removed = await fleet.removeAgent("pinger");
  console.log(`removed ${removed.removed.join(",")}; agents left: ${fleet.status().agents.length}`);
} finally {
  await fleet.stop();
}
