import { type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../docker/runtime-image-fixture.js";
import { tempDir } from "../../helpers/fleet.js";
import { until } from "../../helpers/until.js";
import { startWarmDockerFleet } from "../../helpers/warm-docker-fleet.js";

const SILENT_MS = 60_000;

describe("a job in a warm container whose reply is silent for a minute (real claude in Docker, stand-in API)", () => {
  const fleetName = `warmsilence${process.pid}`;
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager | undefined;

  beforeAll(async () => {
    await ensureRuntimeImage();
    standin = await startStandin({
      responder: (req) =>
        req.lastUserText?.includes("think hard")
          ? textReply("thought it through", { delayMs: SILENT_MS })
          : textReply("done"),
    });
    tmp = tempDir();
  }, IMAGE_TIMEOUT_MS);
  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await standin.close();
    await removeFleetContainers(fleetName);
    tmp.cleanup();
  });

  it("waits for the reply in the warm container and completes there", async () => {
    fleet = await startWarmDockerFleet(tmp.dir, fleetName, standin);
    const cold = await fleet.wait(fleet.trigger("boxed").id);
    expect(cold.status).toBe("completed");
    await until(() => fleet!.warmContainerIds().length === 1, "a warm container for the agent");
    const [warmId] = fleet.warmContainerIds();
    const silent = await fleet.wait(fleet.trigger("boxed", { prompt: "think hard" }).id);
    const delayed = standin.requests.filter((r) => r.turn?.kind === "text" && r.turn.delayMs === SILENT_MS);
    expect(delayed).toHaveLength(1);
    expect(silent).toMatchObject({ status: "completed", summary: "thought it through", containerId: warmId });
  }, 240_000);
});
