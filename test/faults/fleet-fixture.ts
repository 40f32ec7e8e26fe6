import { FleetManager } from "@herdctl/core";
import { type Standin, startStandin } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { removeFleetContainers } from "../../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { scratch } from "./helpers.js";

/** What a fault test that runs a whole fleet uses; a test sets `fleet` so it is stopped after it. */
export interface FleetFixture {
  readonly standin: Standin;
  readonly root: ReturnType<typeof scratch>;
  fleet: FleetManager | undefined;
  /** The fleet's log lines, for a test that passes `log: (line) => fx.logs.push(line)`. */
  logs: string[];
  /** Starts the fleet whose files the test wrote under `root`, against the stand-in, its log into `logs`. */
  startFleet(): Promise<FleetManager>;
}

/**
 * Registers the hooks in the calling describe block: one stand-in for the block; per test a
 * scratch root named with `scratchPrefix`, and afterwards the fleet stopped, `fleetName`'s
 * containers removed and the root deleted.
 */
export function fleetFixture(
  fleetName: string,
  scratchPrefix: string,
  opts: { clearRequests?: boolean } = {},
): FleetFixture {
  const fx = {
    fleet: undefined,
    logs: [],
    async startFleet() {
      const fleet = new FleetManager({
        config: fx.root.dir,
        env: claudeEnv(fx.standin, fx.root.dir),
        watchConfig: false,
        log: (line) => fx.logs.push(line),
      });
      fx.fleet = fleet;
      await fleet.start();
      return fleet;
    },
  } as unknown as { -readonly [K in keyof FleetFixture]: FleetFixture[K] };
  beforeAll(async () => {
    fx.standin = await startStandin();
  });
  afterAll(async () => {
    await fx.standin.close();
  });
  beforeEach(() => {
    fx.root = scratch(scratchPrefix);
    if (opts.clearRequests) fx.standin.requests.length = 0;
    fx.logs = [];
  });
  afterEach(async () => {
    await fx.fleet?.stop({ timeoutMs: 0 });
    fx.fleet = undefined;
    await removeFleetContainers(fleetName);
    fx.root.cleanup();
  });
  return fx;
}

/** Every tool_result claude sent back to the stand-in since the last reset, with whether it was an error. */
export function toolResults(standin: Standin): { isError: boolean; text: string }[] {
  const out: { isError: boolean; text: string }[] = [];
  const seen = new Set<string>();
  for (const request of standin.mainRequests) {
    for (const message of request.messages) {
      if (!Array.isArray(message.content)) continue;
      for (const block of message.content as unknown as Record<string, unknown>[]) {
        if (block.type !== "tool_result" || seen.has(String(block.tool_use_id))) continue;
        seen.add(String(block.tool_use_id));
        const text = typeof block.content === "string" ? block.content : JSON.stringify(block.content);
        out.push({ isError: block.is_error === true, text });
      }
    }
  }
  return out;
}
