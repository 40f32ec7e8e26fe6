import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigIssue, LoadedFleet } from "@herdctl/core";
import type { StatusAgentFacts } from "@herdctl/core/internal/fleet-manager/status";
import { type ConfigStamp, isStamp, stampIsCurrent } from "./config-stamp.js";
import { VERSION } from "./version.js";

/**
 * What `herdctl status` needs from the fleet's configuration when no daemon runs, kept in the
 * state directory after a full parse, so the next status reads a small JSON file instead of
 * loading YAML, zod and the schemas (most of its start-up). It is used only while everything the
 * parse read is unchanged (config-stamp.ts). Written by status-facts-write.ts.
 */
export interface StatusFacts extends ConfigStamp {
  format: typeof FORMAT;
  herdctl: string;
  configPath: string;
  fleet: Pick<LoadedFleet["fleet"], "name" | "description" | "budget">;
  agents: StatusAgentFacts[];
  warnings: ConfigIssue[];
}

export const FORMAT = 1;
export const FILE = "status-facts.json";

/** The facts kept in `stateDir` for the fleet at `configPath`, if nothing they came from changed. */
export function readStatusFacts(stateDir: string, configPath: string): StatusFacts | undefined {
  let facts: StatusFacts;
  try {
    facts = JSON.parse(readFileSync(join(stateDir, FILE), "utf8"));
  } catch {
    // Missing or damaged: the caller parses the fleet, and writes it again.
    return undefined;
  }
  if (!isFacts(facts) || facts.herdctl !== VERSION || facts.configPath !== configPath) return undefined;
  return stampIsCurrent(facts) ? facts : undefined;
}

function isFacts(value: unknown): value is StatusFacts {
  const f = value as StatusFacts;
  return (
    typeof f === "object" &&
    f !== null &&
    f.format === FORMAT &&
    typeof f.configPath === "string" &&
    isStamp(f) &&
    typeof f.fleet?.name === "string" &&
    Array.isArray(f.agents) &&
    f.agents.every((a) => typeof a?.name === "string" && typeof a.working_directory === "string") &&
    Array.isArray(f.warnings)
  );
}
