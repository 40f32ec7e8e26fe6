import { chownSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { sharedCredentialProxy } from "../../src/proxy/credential-proxy.js";
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

    /** The worker agent in Docker on this network, answering from the conversation's history. */
    async function startDockerFleet(network: "host" | "proxy-only"): Promise<FleetManager> {
      fx.standin.setResponder(memoryResponder());
      const { workspace } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\npermission_mode: acceptEdits\ndocker:\n  enabled: true\n  memory: 1g\n`,
        {
          fleetYaml: `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: ${network}\nagents:\n  - path: ./agents/worker.yaml\n`,
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
      return f;
    }

    it("the second message continues the session claude keeps in the container", async () => {
      const f = await startDockerFleet("host");
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

    it("through the credential proxy (network: proxy-only), the kept process's token works for every turn and dies with the chat", async () => {
      const f = await startDockerFleet("proxy-only");
      const chat = f.createChat("worker");
      const one = await f.wait(f.sendChatMessage(chat.id, "remember spruce").job.id);
      expect(one).toMatchObject({ status: "completed", summary: "noted spruce" });
      const two = await f.wait(f.sendChatMessage(chat.id, "what did I say?").job.id);
      expect(two).toMatchObject({
        status: "completed",
        summary: "you said spruce",
        containerId: one.containerId,
      });
      // Between turns the kept claude still holds its grant; deleting the chat ends claude and revokes it.
      const proxy = await sharedCredentialProxy(f.state.stateDir);
      expect(proxy.activeGrants).toBe(1);
      await f.deleteChat(chat.id);
      expect(proxy.activeGrants).toBe(0);
    });
  },
);
