import { dirname, relative, sep } from "node:path";
import { envValue } from "../config/env-refs.js";
import type { LoadedFleet, ResolvedAgent } from "../config/types.js";
import { type EnvNeed, envNeeds, scanEnvReferences } from "./env-scan.js";
import { readSourceRecord, type SourceRecord } from "./record.js";
import { inspectTree } from "./tree.js";

export interface AgentDescription {
  name: string;
  /** The agent file, relative to the fleet folder. */
  file: string;
  /** Where `agent add` fetched it from; null for an agent written by hand. */
  source: SourceRecord | null;
  schedules: Array<{ name: string; type: string; when: string | null; enabled: boolean }>;
}

export interface AgentDetails extends AgentDescription {
  /** The `${VAR}`s in its files (all of an installed agent's, else its agent file's). */
  env: EnvNeed[];
}

export async function describeAgent(loaded: LoadedFleet, agent: ResolvedAgent): Promise<AgentDescription> {
  return {
    name: agent.name,
    file: relative(loaded.rootDir, agent.configPath).split(sep).join("/"),
    source: (await readSourceRecord(dirname(agent.configPath))) ?? null,
    schedules: Object.entries(agent.schedules ?? {}).map(([name, s]) => ({
      name,
      type: s.type,
      when:
        s.type === "cron"
          ? (s.cron ?? null)
          : s.type === "interval" && typeof s.interval === "number"
            ? every(s.interval)
            : null,
      enabled: s.enabled !== false,
    })),
  };
}

export async function agentDetails(loaded: LoadedFleet, agent: ResolvedAgent): Promise<AgentDetails> {
  const description = await describeAgent(loaded, agent);
  const dir = dirname(agent.configPath);
  // An installed agent owns its folder; a hand-made one may share it with the fleet, so only its file is read.
  const files = description.source
    ? (await inspectTree(dir).catch(() => ({ files: [] as Array<{ path: string }> }))).files.map(
        (f) => f.path,
      )
    : [relative(dir, agent.configPath)];
  const env = envNeeds(await scanEnvReferences(dir, files), (name) => envValue(loaded, name));
  return { ...description, env };
}

/** 900000 → "15m": the interval as the user would have written it. */
function every(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const)
    if (ms % size === 0) return `every ${ms / size}${unit}`;
  return `every ${ms}ms`;
}
