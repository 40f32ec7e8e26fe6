import { chownSync } from "node:fs";
import { scheduleWakeup, script, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { JobRecord } from "../../src/state/index.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../docker/runtime-image-fixture.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";

const START = "2030-01-01T00:00:00.000Z";

beforeAll(() => ensureRuntimeImage(), IMAGE_TIMEOUT_MS);

describe.each(["cli", "sdk"] as const)(
  "durable wakes of a Docker agent, %s runtime (real claude and engine, stand-in API, fake clock)",
  (runtime) => {
    const fleetName = `wakes-docker-${runtime}-${process.pid}`;
    const fx = clockFleetFixture(START);
    afterAll(() => removeFleetContainers(fleetName));

    it("the wake resumes the session claude made in the container", async () => {
      fx.standin.setResponder(
        script([scheduleWakeup(90, "check inside"), textReply("later"), textReply("checked in docker")]),
      );
      const { workspace } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\npermission_mode: acceptEdits\ndocker:\n  enabled: true\n  memory: 1g\n`,
        {
          fleetYaml: `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: host\nagents:\n  - path: ./agents/worker.yaml\n`,
        },
      );
      if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
      const f = new FleetManager({
        config: fx.tmp.dir,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        watchConfig: false,
        clock: fx.clock,
      });
      fx.fleet = f;
      await f.start();
      const first = await f.wait(f.trigger("worker", { prompt: "start in docker" }).id);
      expect(first).toMatchObject({ status: "completed", docker: true });
      const [wake] = f.listWakes();
      expect(wake).toMatchObject({ sessionId: first.sessionId, nextFireAt: "2030-01-01T00:01:30.000Z" });

      const queued = new Promise<JobRecord>((resolve) => f.events.once("job:queued", resolve));
      fx.clock.advance(90_000);
      const woken = await f.wait((await queued).id);
      expect(woken).toMatchObject({
        status: "completed",
        docker: true,
        triggerType: "wake",
        sessionId: first.sessionId,
        summary: expect.stringContaining("checked in docker"),
      });
    });
  },
);
