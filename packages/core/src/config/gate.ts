import type { z } from "zod";
import { mayRunHostCommands } from "./host-commands.js";
import type { GateSchema } from "./schema.js";
import type { ResolvedAgent } from "./types.js";

/**
 * A schedule's gate as the loader leaves it: where its command was written decides where it may
 * run, the same rule as shell hooks (config/isolation.ts). Unknown (a schedule added at runtime)
 * counts as the agent file's.
 */
export type Gate = z.output<typeof GateSchema> & { declaredIn?: "fleet" | "agent" };

export const AGENT_GATE_REFUSED =
  "this gate is in the agent file and would run on the host with more privilege than the agent " +
  "has (it may not run commands itself), so its schedule's jobs fail until it moves";
export const AGENT_GATE_HINT =
  "move the gate to the fleet file (agents[].overrides.schedules), run the agent in Docker (its " +
  "gates then run in its container), or allow it Bash";

/** Where the gate runs: the agent's container, the host, or nowhere (with the reason). */
export function gatePlacement(agent: ResolvedAgent, gate: Gate): "container" | "host" | "refused" {
  if (agent.docker?.enabled) return "container";
  if (gate.declaredIn === "fleet" || mayRunHostCommands(agent)) return "host";
  return "refused";
}
