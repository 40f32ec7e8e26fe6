import { chownSync, realpathSync } from "node:fs";
import { script, textReply } from "@herdctl/standin";
import Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import { CONTAINER_PLUGINS_DIR, IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { dockerJobFixture } from "../helpers/job-fixture.js";
import { EXPANDED, GREET_PROMPT, GREETER } from "../helpers/plugins.js";

const docker = new Dockerode();

describe.each(["cli", "sdk"] as const)(
  "a Docker agent uses its plugin (%s runtime, real engine)",
  (runtime) => {
    const fleetName = `dockerplugins-${runtime}-${process.pid}`;
    const fx = dockerJobFixture(fleetName, { clearRequests: true });

    it("the plugin folder is bound read-only at a fixed path, claude loads it from there, and changing plugins makes a new container", async () => {
      const { agent, workspace } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\npermission_mode: acceptEdits\nplugins: [${GREETER}]\n` +
          "docker: { enabled: true, ephemeral: false }\n",
        {
          fleetYaml:
            `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker: { network: host }\n` +
            "agents:\n  - path: ./agents/worker.yaml\n",
        },
      );
      if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
      const executor = new JobExecutor({
        state: fx.state,
        claudePath,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        containers: { manager: new ContainerManager(), fleet: fleetName },
      });

      fx.standin.setResponder(script([textReply("Hello there, Bob.")]));
      const first = await executor.execute({ agent, prompt: GREET_PROMPT, triggerType: "manual" });
      expect(first).toMatchObject({ status: "completed", docker: true });
      expect(JSON.stringify(fx.standin.mainRequests[0]?.messages[0]?.content)).toContain(EXPANDED);

      const inspected = await docker.getContainer(first.containerId!).inspect();
      expect(inspected.Mounts).toContainEqual(
        expect.objectContaining({
          Type: "bind",
          Source: realpathSync(GREETER),
          Destination: `${CONTAINER_PLUGINS_DIR}/0`,
          RW: false,
        }),
      );

      // The same agent without the plugin: the persistent container no longer matches and is replaced.
      fx.standin.setResponder(script([textReply("plain")]));
      const second = await executor.execute({
        agent: { ...agent, plugins: undefined },
        prompt: "hi",
        triggerType: "manual",
      });
      expect(second).toMatchObject({ status: "completed", docker: true });
      expect(second.containerId).not.toBe(first.containerId);
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`herdctl.fleet=${fleetName}`] },
      });
      expect(left.map((c) => c.Id)).toEqual([second.containerId]);
    });
  },
);
