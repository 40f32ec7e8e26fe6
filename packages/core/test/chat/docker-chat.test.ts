import { chownSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../docker/runtime-image-fixture.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { memoryResponder } from "./memory-responder.js";

beforeAll(() => ensureRuntimeImage(), IMAGE_TIMEOUT_MS);

describe.each(["cli", "sdk"] as const)(
  "a chat with a Docker agent, %s runtime (real claude and engine, stand-in API)",
  (runtime) => {
    const fleetName = `chat-docker-${runtime}-${process.pid}`;
    const fx = clockFleetFixture("2030-01-01T00:00:00.000Z");
    afterAll(() => removeFleetContainers(fleetName));

    it("the second message continues the session claude keeps in the container", async () => {
      fx.standin.setResponder(memoryResponder());
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
      const chat = f.createChat("worker");
      const one = await f.wait(f.sendChatMessage(chat.id, "remember cedar").job.id);
      expect(one).toMatchObject({ status: "completed", docker: true, summary: "noted cedar" });
      const two = await f.wait(f.sendChatMessage(chat.id, "what did I say?").job.id);
      expect(two).toMatchObject({
        status: "completed",
        docker: true,
        summary: "you said cedar",
        sessionId: one.sessionId,
        containerId: one.containerId,
      });
      expect(f.sessions("worker")).toEqual([]);
      expect(f.chatMessages(chat.id).map((m) => m.text)).toEqual([
        "remember cedar",
        "noted cedar",
        "what did I say?",
        "you said cedar",
      ]);
    });
  },
);
