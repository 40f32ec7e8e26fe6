import { readFile, rm } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { LoadedFleet } from "../config/types.js";
import { agentNotFound, nearestAgentNames } from "../fleet-manager/errors.js";
import { mayBeShielded } from "../schedule-edit/shielded.js";
import { replaceFileText } from "../schedule-edit/write-file.js";
import { AgentInstallError } from "./errors.js";
import { agentEntries, removeAgentEntry } from "./fleet-file.js";
import { AGENTS_DIR } from "./install.js";
import { readSourceRecord } from "./record.js";

export interface RemoveResult {
  name: string;
  /** The agent's folder, when it was deleted. */
  deleted?: string;
  /** The agent's folder, when it stays: asked to, or not one `agent add` made. */
  kept?: string;
}

/**
 * Takes an agent out of the root fleet file's `agents:` list (layout kept), then deletes its
 * folder if `agent add` made it (it holds a source record and sits in agents/<name>/) and
 * `keepFiles` is not set. The fleet file changes first, so a running daemon never loads an entry
 * whose file has gone.
 */
export async function removeAgent(
  loaded: LoadedFleet,
  name: string,
  options: { keepFiles?: boolean } = {},
): Promise<RemoveResult> {
  const agent = loaded.agents.find((a) => a.name === name);
  if (!agent) {
    const names = loaded.agents.map((a) => a.name);
    throw agentNotFound(name, names, nearestAgentNames(name, names));
  }
  const text = await readFile(loaded.configPath, "utf8");
  const index = agentEntries(text).findIndex(
    (entry) =>
      typeof (entry as { path?: unknown })?.path === "string" &&
      resolve(loaded.rootDir, (entry as { path: string }).path) === agent.configPath,
  );
  const fleetDisplay = relative(process.cwd(), loaded.configPath) || loaded.configPath;
  if (index < 0)
    throw new AgentInstallError(
      "AGENT_NOT_LISTED",
      `agent ${name} is not listed in ${fleetDisplay}'s agents: (it comes from a sub-fleet); remove it from the fleet file that lists it`,
    );
  const next = removeAgentEntry(text, index);
  await replaceFileText(loaded.configPath, next, {
    expected: text,
    display: fleetDisplay,
    inPlace: mayBeShielded(loaded.configPath, loaded),
  });

  const dir = dirname(agent.configPath);
  const installed =
    relative(join(loaded.rootDir, AGENTS_DIR), dir).split(sep).length === 1 &&
    !relative(join(loaded.rootDir, AGENTS_DIR), dir).startsWith("..") &&
    (await readSourceRecord(dir).catch(() => undefined)) !== undefined;
  if (!installed || options.keepFiles) return { name, kept: installed ? dir : undefined };
  await rm(dir, { recursive: true, force: true });
  return { name, deleted: dir };
}
