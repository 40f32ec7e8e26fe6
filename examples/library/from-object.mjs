// A fleet defined in code: validated like a fleet file, run with per-trigger overrides, reloaded.
// Usage: node examples/library/from-object.mjs  (state goes in ./.herdctl of the current folder)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, FleetManager } from "@herdctl/core";

// A typo is refused before anything runs, named by its key path.
try {
  // @ts-expect-error: TypeScript catches the typo too; plain JavaScript learns of it here.
  await new FleetManager({ config: { agents: [{ name: "reviewer", modle: "claude-opus-4-5" }] } }).start();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const issue of error.issues) console.log(`refused: ${issue.path}: ${issue.message}`);
}

const config = {
  fleet: { name: "embedded" },
  defaults: { model: "claude-sonnet-4-5" },
  agents: [{ name: "reviewer", default_prompt: "Review the code in this folder." }],
};
const fleet = new FleetManager({ config });
await fleet.start();
try {
  const scratch = mkdtempSync(join(tmpdir(), "herdctl-example-"));
  const job = fleet.trigger("reviewer", {
    prompt: "List the files here.",
    model: process.env.EXAMPLE_MODEL ?? "claude-haiku-4-5",
    workingDirectory: scratch,
    // An extra MCP server for this job only; point it at one of yours.
    mcpServers: { notes: { type: "http", url: process.env.NOTES_MCP_URL ?? "http://127.0.0.1:8931/mcp" } },
    onMessage(message) {
      if (message.type === "system" && message.subtype === "init") {
        const servers = message.mcp_servers.map((s) => s.name).join(",");
        console.log(`init: model=${message.model} cwd=${message.cwd} mcp=${servers}`);
      }
    },
  });
  const done = await fleet.wait(job.id);
  console.log(`finished ${done.id} ${done.status}: ${done.summary}`);

  const result = await fleet.reload({ ...config, agents: [...config.agents, { name: "tester" }] });
  console.log(result.ok ? `reloaded: added ${result.added.join(",")}` : `reload refused: ${result.message}`);
} finally {
  await fleet.stop();
}
