import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { StateManager } from "../../src/state/index.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../docker/runtime-image-fixture.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";

const MEMORY_MARKER = "docker-project-memory-5c1e";
// A deny rule takes the tool out of what claude offers the model: how a loaded user file shows.
const USER_DENIED_TOOL = "Edit";

describe.each(["cli", "sdk"])(
  "settings files of a Docker agent with the %s runtime (real engine)",
  (runtime) => {
    let standin: Standin;
    let tmp: ReturnType<typeof tempDir>;
    let state: StateManager;
    const fleetName = `dockersettings-${runtime}-${process.pid}`;

    beforeAll(async () => {
      await ensureRuntimeImage();
      standin = await startStandin();
    }, IMAGE_TIMEOUT_MS);
    afterAll(async () => {
      await removeFleetContainers(fleetName);
      await standin.close();
    });
    beforeEach(() => {
      tmp = tempDir();
      state = new StateManager(join(tmp.dir, ".herdctl"));
      state.open();
      standin.requests.length = 0;
    });
    afterEach(async () => {
      state.close();
      await removeFleetContainers(fleetName);
      tmp.cleanup();
    });

    it("loads the working directory's CLAUDE.md at /workspace, not the container's user settings", async () => {
      const { agent, workspace } = await writeFleet(
        tmp.dir,
        `runtime: ${runtime}\ndocker:\n  enabled: true\n  memory: 1g\n`,
        {
          fleetYaml:
            `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: host\n` +
            "agents:\n  - path: ./agents/worker.yaml\n",
        },
      );
      writeFileSync(join(workspace, "CLAUDE.md"), `Remember ${MEMORY_MARKER}.\n`);
      const userDir = join(tmp.dir, ".herdctl", "docker-sessions", "worker");
      mkdirSync(userDir, { recursive: true });
      writeFileSync(
        join(userDir, "settings.json"),
        JSON.stringify({ permissions: { deny: [USER_DENIED_TOOL] } }),
      );
      if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);

      standin.setResponder(script([textReply("ok")]));
      const executor = new JobExecutor({
        state,
        claudePath,
        env: claudeEnv(standin, tmp.dir),
        containers: { manager: new ContainerManager(), fleet: fleetName },
      });
      const job = await executor.execute({ agent, prompt: "go", triggerType: "manual" });
      expect(job.status, job.error ?? "").toBe("completed");
      const [first] = standin.mainRequests;
      expect(first!.rawBody).toContain(MEMORY_MARKER);
      expect(first!.tools.map((t) => t.name)).toContain(USER_DENIED_TOOL);
    });
  },
);
