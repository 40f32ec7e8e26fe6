import { chownSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { script, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { MEMORY_FILE } from "../../src/memory/index.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { dockerJobFixture } from "../helpers/job-fixture.js";

describe("memory of a Docker agent (real engine; Anthropic faked by the stand-in)", () => {
  const fleetName = `memtest-${process.pid}`;
  const fx = dockerJobFixture(fleetName, { clearRequests: true });

  it("the container user rewrites the notes herdctl put in /workspace, and the next job sees them", async () => {
    const { agent, workspace } = await writeFleet(
      fx.tmp.dir,
      "runtime: cli\npermission_mode: acceptEdits\nmemory: true\ndocker:\n  enabled: true\n  memory: 1g\n",
      {
        fleetYaml: `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: host\nagents:\n  - path: ./agents/worker.yaml\n`,
      },
    );
    if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
    fx.state.memory.save(agent.name, { content: "seeded by a person\n", source: "edit", actor: "test" });
    const executor = new JobExecutor({
      state: fx.state,
      claudePath,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      containers: { manager: new ContainerManager(), fleet: fleetName },
    });

    fx.standin.setResponder(
      script([
        writeFile(`/workspace/${MEMORY_FILE}`, "seeded by a person\nlearned in a container\n"),
        textReply("ok"),
      ]),
    );
    const first = await executor.execute({ agent, prompt: "docker run one", triggerType: "manual" });
    expect(first).toMatchObject({ status: "completed", docker: true });
    const firstSystem = fx.standin.mainRequests.find((r) =>
      r.lastUserText?.includes("docker run one"),
    )!.systemText;
    expect(firstSystem).toContain("<memory>\nseeded by a person\n\n</memory>");
    expect(fx.state.memory.current(agent.name)).toMatchObject({
      version: 2,
      content: "seeded by a person\nlearned in a container\n",
      source: "job",
      jobId: first.id,
    });
    expect(statSync(join(workspace, MEMORY_FILE)).uid).toBe(
      process.getuid?.() === 0 ? IMAGE_UID : process.getuid?.(),
    );

    fx.standin.setResponder(script([textReply("done")]));
    const second = await executor.execute({ agent, prompt: "docker run two", triggerType: "manual" });
    expect(second.status).toBe("completed");
    const system = fx.standin.mainRequests.find((r) =>
      r.lastUserText?.includes("docker run two"),
    )!.systemText;
    expect(system).toContain("learned in a container");
    expect(readFileSync(join(workspace, MEMORY_FILE), "utf8")).toBe(
      "seeded by a person\nlearned in a container\n",
    );
  });
});
