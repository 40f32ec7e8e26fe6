import { type Standin, startStandin } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { FleetManager, type FleetManagerOptions } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "./claude-env.js";
import { tempDir } from "./fleet.js";
import { writeAgents } from "./multi-fleet.js";

/**
 * One stand-in per file, a scratch folder per test and the fleet started in it stopped after each
 * test: the lifecycle most end-to-end FleetManager tests share. Call at the top of a describe.
 */
export function fleetTestbed() {
  const bed = {
    standin: undefined as unknown as Standin,
    tmp: undefined as unknown as ReturnType<typeof tempDir>,
    fleet: undefined as FleetManager | undefined,
    /** Writes herdctl.yaml and the agents (see writeAgents), then starts the fleet on the stand-in. */
    async start(
      agents: Record<string, string>,
      fleetExtra = "",
      options: Partial<FleetManagerOptions> = {},
    ): Promise<FleetManager> {
      writeAgents(bed.tmp.dir, agents, fleetExtra);
      const fleet = new FleetManager({
        config: bed.tmp.dir,
        env: claudeEnv(bed.standin, bed.tmp.dir),
        watchConfig: false,
        ...options,
      });
      bed.fleet = fleet;
      await fleet.start();
      return fleet;
    },
  };
  beforeAll(async () => {
    bed.standin = await startStandin();
  });
  afterAll(() => bed.standin.close());
  beforeEach(() => {
    bed.tmp = tempDir();
  });
  afterEach(async () => {
    await bed.fleet?.stop({ timeoutMs: 0 });
    bed.fleet = undefined;
    bed.tmp.cleanup();
  });
  return bed;
}
