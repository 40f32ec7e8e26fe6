// Loads a fleet file, runs one job, prints its text as it streams, then queries the state.
// Usage: node examples/library/from-file.mjs ["your question"]
// claude uses ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL when set) from this environment.
import { fileURLToPath } from "node:url";
import { FleetManager } from "@herdctl/core";

const fleet = new FleetManager({
  config: fileURLToPath(new URL("./fleet/herdctl.yaml", import.meta.url)),
  stateDir: process.env.HERDCTL_STATE_DIR, // unset: fleet/.herdctl
  watchConfig: false,
});
await fleet.start();
try {
  const job = fleet.trigger("helper", {
    prompt: process.argv[2], // unset: the agent's default_prompt
    onMessage(message) {
      if (message.type !== "assistant") return;
      for (const block of message.message.content)
        if (block.type === "text") console.log(`streamed: ${block.text}`);
    },
  });
  console.log(`started ${job.id}`);
  const done = await fleet.wait(job.id);
  console.log(`finished ${done.id} ${done.status}: ${done.summary}`);
  const { jobs } = fleet.jobs({ agent: "helper", limit: 10 });
  console.log(`recent jobs: ${jobs.map((j) => `${j.id}=${j.status}`).join(" ")}`);
  console.log(`next job continues session ${fleet.sessions("helper")[0]?.sessionId}`);
} finally {
  await fleet.stop();
}
