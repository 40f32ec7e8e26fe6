import { textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { memoryResponder } from "./memory-responder.js";

const SILENT_MS = 60_000;

// The two runtimes' minute-long waits overlap: each has its own stand-in, folder and fleet.
describe.concurrent.each(["cli", "sdk"] as const)(
  "a chat turn whose reply is silent for a minute, %s runtime (real claude, stand-in API)",
  (runtime) => {
    const fx = clockFleetFixture("2030-01-01T00:00:00.000Z");

    it("completes, in the process kept from the turn before, and the chat records the reply", async () => {
      fx.standin.setResponder(
        memoryResponder({
          extra: (req) =>
            req.lastUserText?.includes("think hard")
              ? textReply("thought it through", { delayMs: SILENT_MS })
              : undefined,
        }),
      );
      writeAgents(fx.tmp.dir, { chatter: `runtime: ${runtime}\n` });
      const f = new FleetManager({
        config: fx.tmp.dir,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        watchConfig: false,
        clock: fx.clock,
      });
      fx.fleet = f;
      await f.start();
      const chat = f.createChat("chatter");
      const one = await f.wait(f.sendChatMessage(chat.id, "remember birch").job.id);
      const two = await f.wait(f.sendChatMessage(chat.id, "think hard").job.id);
      const delayed = fx.standin.requests.filter(
        (r) => r.turn?.kind === "text" && r.turn.delayMs === SILENT_MS,
      );
      expect(delayed).toHaveLength(1);
      expect(two).toMatchObject({ status: "completed", summary: "thought it through", pid: one.pid });
      expect(f.chat(chat.id)).toMatchObject({ lastMessage: "thought it through", runningJobId: null });
    }, 240_000);
  },
);
