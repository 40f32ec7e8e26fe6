import { chownSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, script, startStandin, textReply, toolUse } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { StateManager } from "../../src/state/index.js";
import { ensureDevImage } from "../docker/dev-image-fixture.js";
import { IMAGE_TIMEOUT_MS, removeFleetContainers } from "../docker/runtime-image-fixture.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";

const SERVER = join(import.meta.dirname, "fixtures", "probe-mcp-server.mjs");

describe.each(["cli", "sdk"])("a stdio MCP server in herdctl/runtime:dev with the %s runtime", (runtime) => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let state: StateManager;
  const fleetName = `devmcp-${runtime}-${process.pid}`;

  beforeAll(async () => {
    await ensureDevImage();
    standin = await startStandin();
  }, IMAGE_TIMEOUT_MS);
  afterAll(async () => {
    await removeFleetContainers(fleetName);
    await standin?.close();
  });
  beforeEach(() => {
    tmp = tempDir();
    state = new StateManager(join(tmp.dir, ".herdctl"));
    state.open();
  });
  afterEach(async () => {
    state.close();
    await removeFleetContainers(fleetName);
    tmp.cleanup();
  });

  it("runs the server with node inside the container and hands the tool's result to the model", async () => {
    const { agent, workspace } = await writeFleet(
      tmp.dir,
      `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: acceptEdits\n` +
        "allowed_tools: [mcp__probe__whereami]\n" +
        "mcp_servers:\n  probe: { command: node, args: [probe-mcp-server.mjs] }\n" +
        "docker:\n  enabled: true\n  memory: 1g\n",
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${fleetName} }\n` +
          // host networking: the container reaches the stand-in on the host's 127.0.0.1.
          "defaults:\n  docker: { image: herdctl/runtime:dev, network: host }\n" +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );
    copyFileSync(SERVER, join(workspace, "probe-mcp-server.mjs"));
    if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);

    standin.setResponder(
      script([toolUse("mcp__probe__whereami", { word: "pineapple" }), textReply("the probe answered")]),
    );
    const executor = new JobExecutor({
      state,
      claudePath,
      env: claudeEnv(standin, tmp.dir),
      containers: { manager: new ContainerManager(), fleet: fleetName },
    });
    const job = await executor.execute({ agent, prompt: "ask the probe", triggerType: "manual" });
    expect(job).toMatchObject({ status: "completed", docker: true, summary: "the probe answered" });

    const offered = standin.mainRequests.find((r) => r.tools.some((t) => t.name === "mcp__probe__whereami"));
    expect(offered, "claude offered the MCP tool to the model").toBeDefined();
    const results = standin.mainRequests.flatMap((r) => r.toolResults);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ type: "tool_result" });
    expect(results[0]).not.toMatchObject({ is_error: true });
    // Node from Debian trixie, as the container user, in the mounted workspace.
    const uid = process.getuid?.() === 0 ? IMAGE_UID : process.getuid?.();
    expect(JSON.stringify(results[0]!.content)).toMatch(
      new RegExp(`pineapple: node v20\\.\\d+\\.\\d+, uid ${uid}, debian trixie, cwd /workspace`),
    );
  });
});
