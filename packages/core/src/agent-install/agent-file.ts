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

/**
 * Loads the whole fleet as it would be with the agent installed (the edited fleet file and the
 * agent file given as text, nothing on disk yet), so the agent is checked by the same loader and
 * schema as every other, and returns that fleet and the loader's warnings about the agent. Problems in the agent file
 * are reported as `shownAs` (its place in the repository). An unset variable its agent.yaml uses
 * is refused too, with its own message: installed, it would stop the whole fleet from loading.
 */
export async function checkAgentLoads(options: {
  configPath: string;
  fleetText: string;
  agentFile: string;
  agentText: string;
  /** The agent file's path as the loader displays it (relative to the fleet folder). */
  agentDisplay: string;
  shownAs: string;
  sourceDisplay: string;
  /** The .env beside the fleet file, as the user should be told to edit it. */
  dotEnvDisplay: string;
}): Promise<{ fleet: LoadedFleet; warnings: ConfigIssue[] }> {
  const overlay = new Map([
    [options.configPath, options.fleetText],
    [options.agentFile, options.agentText],
  ]);
  const relabel = (issue: ConfigIssue): ConfigIssue =>
    issue.file === options.agentDisplay ? { ...issue, file: options.shownAs } : issue;
  try {
    const fleet = await loadFleet(options.configPath, { overlay });
    return { fleet, warnings: fleet.warnings.filter((w) => w.file === options.agentDisplay).map(relabel) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unset = error.issues.filter(
      (i) => i.unsetVariable !== undefined && i.file === options.agentDisplay,
    );
    const unsetLines = new Set(unset.map((i) => i.line));
    // A value built from an unset variable cannot be checked until it is set: one problem, not two.
    const other = error.issues.filter((i) => i.file !== options.agentDisplay || !unsetLines.has(i.line));
    if (other.length > 0)
      throw new AgentInstallError(
        "AGENT_INVALID",
        `the agent in ${options.sourceDisplay} does not load, so nothing was installed (${other.length === 1 ? "1 problem" : `${other.length} problems`}):\n` +
          other.map((i) => `  ${formatIssue(relabel(i))}`).join("\n"),
      );
    const names = [...new Set(unset.map((i) => i.unsetVariable!))];
    throw new AgentInstallError(
      "AGENT_ENV_MISSING",
      `${options.shownAs} in ${options.sourceDisplay} uses ${names.join(", ")}, not set in the environment or in ${options.dotEnvDisplay}; ` +
        "the fleet would not load with this agent in it, so nothing was installed:\n" +
        unset.map((i) => `  ${formatIssue({ ...relabel(i), hint: undefined })}`).join("\n") +
        `\nSet ${names.length === 1 ? "it" : "them"} (export ${names[0]}=..., or a ${names[0]}=... line in ${options.dotEnvDisplay}), then run agent add again`,
    );
  }
}
