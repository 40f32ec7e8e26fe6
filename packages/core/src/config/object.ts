import { join, resolve } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import type { z } from "zod";
import { type InlineAgent, loadFleetAt } from "./load.js";
import type { AgentSchema, FleetSchema, ScheduleSchema } from "./schema.js";
import type { LoadedFleet } from "./types.js";

/** Names a fleet given as an object wherever a file name would stand in an issue. */
export const FLEET_OBJECT = "fleet object";

/**
 * One agent as you would write its agent file, as an object: the same keys, durations as strings
 * ("30m") or milliseconds. Fleet `defaults` apply to it like to a file agent.
 */
export type AgentDefinition = z.input<typeof AgentSchema>;

/** One schedule as written under an agent's `schedules`, as an object. */
export type ScheduleDefinition = z.input<typeof ScheduleSchema>;

/**
 * A whole fleet as an object: the keys of a fleet file, except that `agents` holds the agents
 * themselves rather than paths to agent files.
 */
export type FleetDefinition = Omit<z.input<typeof FleetSchema>, "agents"> & {
  agents?: AgentDefinition[];
};

export interface LoadFleetObjectOptions {
  /**
   * Stands in for the fleet file's folder: relative paths (working_directory, sub-fleets) resolve
   * against it and its `.env` is read. Default: the current directory.
   */
  baseDir?: string;
  /** The environment `${VAR}` references read. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Agents that join after the object's own (FleetManager.addAgent). */
  extraAgents?: readonly InlineAgent[];
  /** Texts in place of files or of agents' objects (a schedule edit checked before it is kept). */
  overlay?: ReadonlyMap<string, string>;
}

/**
 * Validates a fleet given as an object with the same schemas as a fleet file. A bad value throws
 * ConfigError whose issues name the key path (`agents[1].schedules.poll.interval`) instead of a line.
 */
export function loadFleetObject(
  definition: FleetDefinition,
  options: LoadFleetObjectOptions = {},
): Promise<LoadedFleet> {
  const { agents = [], ...fleet } = definition;
  const configPath = join(resolve(options.baseDir ?? "."), ".herdctl-fleet-object.yaml");
  return loadFleetAt(configPath, {
    env: options.env,
    overlay: options.overlay,
    rootSource: { text: stringifyYaml(fleet), display: FLEET_OBJECT, keyPrefix: [] },
    inlineAgents: [...objectAgents(agents), ...(options.extraAgents ?? [])],
  });
}

/** The `agents` of a fleet object, each labelled with where it sits in that object. */
function objectAgents(agents: readonly unknown[]): InlineAgent[] {
  return agents.map((config, i) => ({ config, display: FLEET_OBJECT, keyPrefix: ["agents", i] }));
}
