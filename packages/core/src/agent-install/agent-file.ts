import { isMap, isScalar, type Node, type Pair, parseDocument, type YAMLMap } from "yaml";
import { ConfigError, type ConfigIssue, formatIssue } from "../config/errors.js";
import { loadFleet } from "../config/load.js";
import type { LoadedFleet } from "../config/types.js";
import { AgentInstallError } from "./errors.js";

/** The `name:` an agent file gives itself, if it is a plain string. */
export function agentNameIn(text: string): string | undefined {
  const pair = namePair(text);
  const value = pair?.value;
  return isScalar(value) && typeof value.value === "string" ? value.value : undefined;
}

/** The agent file with its `name:` set to `name` (which matches NAME_PATTERN, so needs no quoting). */
export function renameAgent(text: string, name: string): string {
  const value = namePair(text)?.value as Node | null | undefined;
  if (isScalar(value) && value.range)
    return text.slice(0, value.range[0]) + name + text.slice(value.range[1]);
  return `name: ${name}\n${text}`;
}

function namePair(text: string): Pair | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  return (doc.contents as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === "name") as
    | Pair
    | undefined;
}

export interface AgentLoadCheck {
  /** The fleet as it would load with the agent, when every variable it needs is set. */
  fleet?: LoadedFleet;
  /** Loader warnings about the agent file. */
  warnings: ConfigIssue[];
}

/**
 * Loads the whole fleet as it would be with the agent installed (the edited fleet file and the
 * agent file given as text, nothing on disk yet), so the agent is checked by the same loader and
 * schema as every other. Problems in the agent file are reported as `shownAs` (its place in the
 * repository). A variable the agent needs but the environment lacks is not a problem here: the
 * caller lists those; so is any other complaint about a value built from one.
 */
export async function checkAgentLoads(options: {
  configPath: string;
  fleetText: string;
  agentFile: string;
  agentText: string;
  /** The agent file's path as the loader displays it (relative to the fleet folder). */
  agentDisplay: string;
  shownAs: string;
  env?: NodeJS.ProcessEnv;
}): Promise<AgentLoadCheck> {
  const overlay = new Map([
    [options.configPath, options.fleetText],
    [options.agentFile, options.agentText],
  ]);
  const relabel = (issue: ConfigIssue): ConfigIssue =>
    issue.file === options.agentDisplay ? { ...issue, file: options.shownAs } : issue;
  try {
    const fleet = await loadFleet(options.configPath, { overlay, env: options.env });
    return { fleet, warnings: fleet.warnings.filter((w) => w.file === options.agentDisplay).map(relabel) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unsetLines = new Set(
      error.issues
        .filter((i) => i.unsetVariable !== undefined && i.file === options.agentDisplay)
        .map((i) => i.line),
    );
    const real = error.issues.filter((i) => i.file !== options.agentDisplay || !unsetLines.has(i.line));
    if (real.length === 0) return { warnings: [] };
    throw new AgentInstallError(
      "AGENT_INVALID",
      `the agent does not load, so nothing was installed (${real.length === 1 ? "1 problem" : `${real.length} problems`}):\n` +
        real.map((i) => `  ${formatIssue(relabel(i))}`).join("\n"),
    );
  }
}
