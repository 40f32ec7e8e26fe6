import { fileURLToPath } from "node:url";
import { script, textReply, toolUse } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { CLIRuntime } from "../../../src/runner/runtime/cli-runtime.js";
import { SDKRuntime } from "../../../src/runner/runtime/sdk-runtime.js";
import { claudeEnv, claudePath } from "../../helpers/claude-env.js";
import { writeFleet } from "../../helpers/fleet.js";
import { runtimeFixture } from "../../helpers/job-fixture.js";

const SERVER = fileURLToPath(new URL("../../fixtures/slow-mcp-server.mjs", import.meta.url));
const TOOL = "mcp__slow__slow";

// Without alwaysLoad claude defers an MCP server's tools behind its tool search, so the first
// request lists no mcp__slow__slow; without timeout the 4 s call simply finishes. Both checked by
// hand against this claude; the test pins the configured behaviour under each runtime.
describe.each([
  ["sdk", () => new SDKRuntime({ claudePath })],
  ["cli", () => new CLIRuntime({ claudePath })],
] as const)("MCP server timeout and alwaysLoad reach claude under the %s runtime", (_name, make) => {
  const fx = runtimeFixture({ clearRequests: true });

  it("offers the tool up front and ends a call that outlasts the timeout", async () => {
    const { agent } = await writeFleet(
      fx.tmp.dir,
      `allowed_tools: [${TOOL}]\nmcp_servers:\n  slow:\n    command: ${JSON.stringify(process.execPath)}\n` +
        `    args: [${JSON.stringify(SERVER)}]\n    env: { SLOW_MCP_DELAY_MS: "4000" }\n` +
        "    timeout: 1s\n    alwaysLoad: true\n",
    );
    fx.standin.setResponder(script([toolUse(TOOL, {}), textReply("done")]));
    for await (const _ of make().execute({
      prompt: "call the slow tool",
      agent,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      signal: new AbortController().signal,
    })) {
      // drain
    }
    const [first, second] = fx.standin.mainRequests;
    expect(first!.tools.map((t) => t.name)).toContain(TOOL);
    expect(JSON.stringify(second!.toolResults)).toContain('tool \\"slow\\" timed out after 1s');
  });
});
