import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FleetManager, type JobRecord } from "@herdctl/core";
import { type Standin, script, startStandin, textReply, writeFile } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { scratch } from "./helpers.js";

/** Every tool_result claude sent back to the stand-in since the last reset. */
function toolResults(standin: Standin): { isError: boolean; text: string }[] {
  const out: { isError: boolean; text: string }[] = [];
  const seen = new Set<string>();
  for (const request of standin.mainRequests) {
    for (const message of request.messages) {
      if (!Array.isArray(message.content)) continue;
      for (const block of message.content as unknown as Record<string, unknown>[]) {
        if (block.type !== "tool_result" || seen.has(String(block.tool_use_id))) continue;
        seen.add(String(block.tool_use_id));
        const text = typeof block.content === "string" ? block.content : JSON.stringify(block.content);
        out.push({ isError: block.is_error === true, text });
      }
    }
  }
  return out;
}

/**
 * The daemon writes an agent file that a kept container holds under a read-only bind. Replacing
 * the file by rename would make the kernel drop that bind inside the container, and the agent's
 * next job could rewrite its own configuration; the edit must leave the bind in force.
 */
describe("a schedule edit keeps a running container's read-only bind over the agent file", {
  timeout: IMAGE_TIMEOUT_MS,
}, () => {
  let standin: Standin;
  let root: ReturnType<typeof scratch>;
  let fleet: FleetManager | undefined;
  const fleetName = `schededit${process.pid}`;

  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(async () => {
    await standin.close();
  });
  beforeEach(() => {
    root = scratch("herdctl-schedule-edit-");
  });
  afterEach(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    fleet = undefined;
    await removeFleetContainers(fleetName);
    root.cleanup();
  });

  it("Docker, kept container: after the edit the agent still cannot write its agent file", async () => {
    await ensureRuntimeImage();
    const agentFile = join(root.dir, "agents", "boxed", "agent.yaml");
    mkdirSync(join(agentFile, ".."), { recursive: true });
    writeFileSync(
      join(root.dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker: { enabled: true, network: host, ephemeral: false }\nagents:\n  - path: ./agents/boxed/agent.yaml\n`,
    );
    writeFileSync(agentFile, "name: boxed\nruntime: cli\npermission_mode: acceptEdits\n");
    // As for a non-root operator: the container user owns the workspace and the file in it.
    execFileSync("chown", ["-R", "1000:1000", join(root.dir, "agents", "boxed")]);
    const inode = statSync(agentFile).ino;
    fleet = new FleetManager({ config: root.dir, env: claudeEnv(standin, root.dir), watchConfig: false });
    await fleet.start();
    // Fresh sessions: the stand-in's script counts turns within one conversation.
    const run = (f: FleetManager): Promise<JobRecord> =>
      f.wait(f.trigger("boxed", { prompt: "go", fresh: true }).id);

    standin.setResponder(script([textReply("first")]));
    const first = await run(fleet);
    expect(first).toMatchObject({ status: "completed", docker: true });

    await fleet.editSchedule({
      kind: "add",
      agent: "boxed",
      name: "later",
      schedule: { type: "interval", interval: "1h", start_delay: "1h" },
    });
    const edited = readFileSync(agentFile, "utf8");
    expect(edited).toContain("schedules:");
    // Rewritten in place: the container's bind still covers this very file.
    expect(statSync(agentFile).ino).toBe(inode);

    standin.setResponder(
      script([
        writeFile("/workspace/agent.yaml", "name: boxed\ndocker: { enabled: false }\n"),
        textReply("tried"),
      ]),
    );
    const second = await run(fleet);
    expect(second).toMatchObject({ status: "completed", docker: true, containerId: first.containerId });
    expect(readFileSync(agentFile, "utf8")).toBe(edited);
    const results = toolResults(standin);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      isError: true,
      text: expect.stringMatching(/read-only|EROFS|EBUSY/i),
    });
  });
});
