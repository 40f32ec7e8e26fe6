import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ConfigIssue, LoadedFleet } from "@herdctl/core";
import type { StatusAgentFacts } from "@herdctl/core/internal/fleet-manager/status";
import { looksSecretName } from "@herdctl/core/internal/secrets/redactor";
import { VERSION } from "./version.js";

/**
 * What `herdctl status` needs from the fleet's configuration when no daemon runs, kept in the
 * state directory after a full parse, so the next status reads a small JSON file instead of
 * loading YAML, zod and the schemas (most of its start-up). It is used only while everything the
 * parse read is unchanged: every file that configures the fleet (fleet and agent files, .env,
 * hook scripts, plugin folders, claude_path) and the claude settings files the warnings look at,
 * by mtime and size, and the environment variables the files refer to. Written by
 * status-facts-write.ts.
 */
export interface StatusFacts {
  format: typeof FORMAT;
  herdctl: string;
  configPath: string;
  /** [path, mtimeMs, size], or [path, null] for one that did not exist. */
  files: Array<[string, number, number] | [string, null]>;
  /** Each variable the files name: its value, or for a secret-looking name only whether it is set. */
  env: Record<string, string | boolean | null>;
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
  for (const entry of facts.files) if (!sameFile(entry)) return undefined;
  for (const [name, value] of Object.entries(facts.env)) if (envFact(name) !== value) return undefined;
  return facts;
}

export function envFact(name: string): string | boolean | null {
  const value = process.env[name];
  if (looksSecretName(name)) return value !== undefined && value !== "";
  return value ?? null;
}

function sameFile([path, mtimeMs, size]: StatusFacts["files"][number]): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (mtimeMs === null) return stat === undefined;
  return stat !== undefined && stat.mtimeMs === mtimeMs && stat.size === size;
}

function isFacts(value: unknown): value is StatusFacts {
  const f = value as StatusFacts;
  return (
    typeof f === "object" &&
    f !== null &&
    f.format === FORMAT &&
    typeof f.configPath === "string" &&
    Array.isArray(f.files) &&
    f.files.every((e) => Array.isArray(e) && typeof e[0] === "string") &&
    typeof f.env === "object" &&
    f.env !== null &&
    typeof f.fleet?.name === "string" &&
    Array.isArray(f.agents) &&
    f.agents.every((a) => typeof a?.name === "string" && typeof a.working_directory === "string") &&
    Array.isArray(f.warnings)
  );
}
