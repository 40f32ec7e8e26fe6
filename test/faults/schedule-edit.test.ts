import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FleetManager, type JobRecord } from "@herdctl/core";
import { script, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { fleetFixture, toolResults } from "./fleet-fixture.js";

/**
 * The daemon writes an agent file that a kept container holds under a read-only bind. Replacing
 * the file by rename would make the kernel drop that bind inside the container, and the agent's
 * next job could rewrite its own configuration; the edit must leave the bind in force.
 */
describe("a schedule edit keeps a running container's read-only bind over the agent file", {
  timeout: IMAGE_TIMEOUT_MS,
}, () => {
  const fleetName = `schededit${process.pid}`;
  const fx = fleetFixture(fleetName, "herdctl-schedule-edit-");

  it("Docker, kept container: after the edit the agent still cannot write its agent file", async () => {
    await ensureRuntimeImage();
    const agentFile = join(fx.root.dir, "agents", "boxed", "agent.yaml");
    mkdirSync(join(agentFile, ".."), { recursive: true });
    writeFileSync(
      join(fx.root.dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker: { enabled: true, network: host, ephemeral: false }\nagents:\n  - path: ./agents/boxed/agent.yaml\n`,
    );
    writeFileSync(agentFile, "name: boxed\nruntime: cli\npermission_mode: acceptEdits\n");
    // As for a non-root operator: the container user owns the workspace and the file in it.
    execFileSync("chown", ["-R", "1000:1000", join(fx.root.dir, "agents", "boxed")]);
    const inode = statSync(agentFile).ino;
    const fleet = new FleetManager({
      config: fx.root.dir,
      env: claudeEnv(fx.standin, fx.root.dir),
      watchConfig: false,
    });
    fx.fleet = fleet;
    await fleet.start();
    // Fresh sessions: the stand-in's script counts turns within one conversation.
    const run = (f: FleetManager): Promise<JobRecord> =>
      f.wait(f.trigger("boxed", { prompt: "go", fresh: true }).id);

    fx.standin.setResponder(script([textReply("first")]));
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

    fx.standin.setResponder(
      script([
        writeFile("/workspace/agent.yaml", "name: boxed\ndocker: { enabled: false }\n"),
        textReply("tried"),
      ]),
    );
    const second = await run(fleet);
    expect(second).toMatchObject({ status: "completed", docker: true, containerId: first.containerId });
    expect(readFileSync(agentFile, "utf8")).toBe(edited);
    const results = toolResults(fx.standin);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      isError: true,
      text: expect.stringMatching(/read-only|EROFS|EBUSY/i),
    });
  });
});
