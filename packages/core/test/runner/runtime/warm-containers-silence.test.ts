import { textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { warmDockerFleetFixture } from "../../helpers/warm-docker-fleet.js";

const SILENT_MS = 60_000;

describe("a job in a warm container whose reply is silent for a minute (real claude in Docker, stand-in API)", () => {
  const fx = warmDockerFleetFixture(`warmsilence${process.pid}`, (req) =>
    req.lastUserText?.includes("think hard")
      ? textReply("thought it through", { delayMs: SILENT_MS })
      : textReply("done"),
  );

  it("waits for the reply in the warm container and completes there", async () => {
    const fleet = await fx.start();
    const cold = await fleet.wait(fleet.trigger("boxed").id);
    expect(cold.status).toBe("completed");
    const warmId = await fx.warmId(fleet);
    const silent = await fleet.wait(fleet.trigger("boxed", { prompt: "think hard" }).id);
    const delayed = fx.standin.requests.filter(
      (r) => r.turn?.kind === "text" && r.turn.delayMs === SILENT_MS,
    );
    expect(delayed).toHaveLength(1);
    expect(silent).toMatchObject({ status: "completed", summary: "thought it through", containerId: warmId });
  }, 240_000);
});
