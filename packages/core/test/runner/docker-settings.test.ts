import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { dockerJobFixture } from "../helpers/job-fixture.js";

const MEMORY_MARKER = "docker-project-memory-5c1e";
// A deny rule takes the tool out of what claude offers the model: how a loaded user file shows.
const USER_DENIED_TOOL = "Edit";

describe.each(["cli", "sdk"])(
  "settings files of a Docker agent with the %s runtime (real engine)",
  (runtime) => {
    const fleetName = `dockersettings-${runtime}-${process.pid}`;
    const fx = dockerJobFixture(fleetName, { clearRequests: true });

    it("loads the working directory's CLAUDE.md at /workspace, not the container's user settings", async () => {
      const { agent, workspace } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\ndocker:\n  enabled: true\n  memory: 1g\n`,
        {
          fleetYaml:
            `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: host\n` +
            "agents:\n  - path: ./agents/worker.yaml\n",
        },
      );
      writeFileSync(join(workspace, "CLAUDE.md"), `Remember ${MEMORY_MARKER}.\n`);
      const userDir = join(fx.tmp.dir, ".herdctl", "docker-sessions", "worker");
      mkdirSync(userDir, { recursive: true });
      writeFileSync(
        join(userDir, "settings.json"),
        JSON.stringify({ permissions: { deny: [USER_DENIED_TOOL] } }),
      );
      if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);

      fx.standin.setResponder(script([textReply("ok")]));
      const executor = new JobExecutor({
        state: fx.state,
        claudePath,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        containers: { manager: new ContainerManager(), fleet: fleetName },
      });
      const job = await executor.execute({ agent, prompt: "go", triggerType: "manual" });
      expect(job.status, job.error ?? "").toBe("completed");
      const [first] = fx.standin.mainRequests;
      expect(first!.rawBody).toContain(MEMORY_MARKER);
      expect(first!.tools.map((t) => t.name)).toContain(USER_DENIED_TOOL);
    });
  },
);
