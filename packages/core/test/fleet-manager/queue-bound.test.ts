import { hang, type Standin, startStandin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../src/control/api.js";
import { FleetError } from "../../src/fleet-manager/errors.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";

describe("instances.max_queued", () => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager;
  const log: string[] = [];
  let refusedFire!: Promise<string>;

  beforeAll(async () => {
    standin = await startStandin({ responder: () => hang() });
    tmp = tempDir();
    // Interval schedules fire at start: the first runs, the second waits, the third finds the line full.
    writeAgents(tmp.dir, {
      worker:
        'default_prompt: "work"\ninstances: { max_concurrent: 1, max_queued: 1 }\nschedules:\n' +
        "  one: { type: interval, interval: 1d }\n  two: { type: interval, interval: 1d }\n  three: { type: interval, interval: 1d }\n",
    });
    refusedFire = new Promise((resolve) => {
      fleet = new FleetManager({
        config: tmp.dir,
        env: claudeEnv(standin, tmp.dir),
        watchConfig: false,
        log: (line) => {
          log.push(line);
          if (line.includes("could not start a job")) resolve(line);
        },
      });
    });
    await fleet.start();
  });
  afterAll(async () => {
    await fleet.stop({ timeoutMs: 0 });
    await standin.close();
    tmp.cleanup();
  });

  it("refuses a scheduled fire when the agent's line is full, with a notice naming the limit", async () => {
    expect(await refusedFire).toBe(
      "schedule worker/three could not start a job: agent worker already has 1 job waiting (instances.max_queued: 1); " +
        "this trigger was refused: wait for queued jobs to start, cancel some, or raise instances.max_queued",
    );
    const status = fleet.status().agents[0]!;
    expect(status.running.map((j) => j.schedule)).toEqual(["one"]);
    expect(status.queued.map((j) => j.schedule)).toEqual(["two"]);
  });

  it("refuses a manual trigger with FLEET_QUEUE_FULL, and takes one again once the line moves", async () => {
    let refused: unknown;
    try {
      fleet.trigger("worker", { prompt: "one more" });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FleetError);
    expect((refused as FleetError).code).toBe("FLEET_QUEUE_FULL");
    const overApi = await createApi(fleet).request("/api/agents/worker/trigger", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "one more" }),
    });
    expect(overApi.status).toBe(429);
    expect(((await overApi.json()) as { error: { code: string } }).error.code).toBe("FLEET_QUEUE_FULL");
    const before = fleet.state.jobs.list({ limit: 100 }).jobs.length;
    await fleet.cancel(fleet.status().agents[0]!.queued[0]!.id);
    const accepted = fleet.trigger("worker", { prompt: "now there is room" });
    expect(accepted.status).toBe("queued");
    expect(fleet.state.jobs.list({ limit: 100 }).jobs.length).toBe(before + 1);
  });
});
