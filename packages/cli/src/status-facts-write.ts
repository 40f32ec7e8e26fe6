import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadedFleet } from "@herdctl/core";
import type { StatusAgentFacts } from "@herdctl/core/internal/fleet-manager/status";
import { configStamp } from "./config-stamp-write.js";
import { FILE, FORMAT, type StatusFacts } from "./status-facts.js";
import { VERSION } from "./version.js";

/**
 * Keeps what status needs of `fleet`, loaded at `loadedAt` (ms since the epoch). Nothing is kept
 * when a file changed while it was read or just before (config-stamp-write.ts) or when a value
 * status shows came from a secret-looking variable (whose value is never written here, so a change
 * to it could not be noticed).
 */
export function writeStatusFacts(stateDir: string, fleet: LoadedFleet, loadedAt: number): void {
  if (fleet.secretPaths.some(isFactPath)) return;
  const stamp = configStamp(fleet, loadedAt);
  if (!stamp) return;
  const facts: StatusFacts = {
    format: FORMAT,
    herdctl: VERSION,
    configPath: fleet.configPath,
    ...stamp,
    fleet: { name: fleet.fleet.name, description: fleet.fleet.description, budget: fleet.fleet.budget },
    agents: fleet.agents.map(agentFacts),
    warnings: fleet.warnings,
  };
  // Written aside and renamed, so a status running alongside reads the old file or the new one.
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const temp = join(stateDir, `${FILE}.${process.pid}`);
  writeFileSync(temp, JSON.stringify(facts), { mode: 0o600 });
  renameSync(temp, join(stateDir, FILE));
}

function agentFacts(agent: LoadedFleet["agents"][number]): StatusAgentFacts {
  return {
    name: agent.name,
    description: agent.description,
    runtime: agent.runtime,
    docker: agent.docker ? { enabled: agent.docker.enabled } : undefined,
    model: agent.model,
    instances: agent.instances ? { max_concurrent: agent.instances.max_concurrent } : undefined,
    working_directory: agent.working_directory,
    schedules: Object.fromEntries(
      Object.entries(agent.schedules ?? {}).map(([name, s]) => [
        name,
        { type: s.type, interval: s.interval, cron: s.cron, timezone: s.timezone, enabled: s.enabled },
      ]),
    ),
    budget: agent.budget,
  };
}

// The keys of an agent (and of the fleet) that status shows, as secretPaths name them.
const AGENT_FACT_KEYS = new Set([
  "name",
  "description",
  "runtime",
  "docker",
  "model",
  "instances",
  "working_directory",
  "schedules",
  "budget",
]);
const FLEET_FACT_KEYS = new Set(["name", "description", "budget"]);

function isFactPath(path: readonly (string | number)[]): boolean {
  if (path[0] === "agents") return AGENT_FACT_KEYS.has(String(path[2]));
  return path[0] === "fleet" && FLEET_FACT_KEYS.has(String(path[1]));
}
