import { existsSync } from "node:fs";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { addAgentEntry } from "../agent-install/fleet-file.js";
import { loadFleet } from "../config/load.js";
import type { LoadedFleet } from "../config/types.js";
import { mayBeShielded } from "../schedule-edit/shielded.js";
import { replaceFileText } from "../schedule-edit/write-file.js";
import { AgentScaffoldError } from "./errors.js";
import { type AgentTemplate, agentYaml } from "./template.js";

export interface ScaffoldResult {
  fleet: LoadedFleet;
  /** The agent file written, and the folder it works in; both absolute. */
  agentFile: string;
  workingDirectory: string;
}

/**
 * Adds a new agent to an existing fleet: `agents/<name>.yaml` beside the fleet file, its working
 * folder `workspace/` if missing, and an entry in the fleet file's `agents:` list spliced in with
 * the file's layout and comments kept. The whole fleet is loaded with both texts in place first,
 * so an agent that would not load (a clash, a bad schedule) writes nothing.
 */
export async function scaffoldAgent(configPath: string, template: AgentTemplate): Promise<ScaffoldResult> {
  const loaded = await loadFleet(configPath);
  const root = loaded.rootDir;
  const clash = loaded.agents.find((a) => a.name === template.name);
  if (clash)
    throw new AgentScaffoldError(
      `the fleet already has an agent named ${template.name} (${relative(root, clash.configPath)}); pick another name`,
    );
  const agentFile = join(root, "agents", `${template.name}.yaml`);
  const shown = relative(root, agentFile).split(sep).join("/");
  if (existsSync(agentFile))
    throw new AgentScaffoldError(
      `${shown} already exists; pick another name or add that file to the fleet by hand`,
    );
  const workingDirectory = join(root, "workspace");
  const agentText = agentYaml(template, relative(dirname(agentFile), workingDirectory).split(sep).join("/"));
  const fleetBefore = await readFile(loaded.configPath, "utf8");
  const fleetText = addAgentEntry(fleetBefore, `./${shown}`);
  const fleet = await loadFleet(loaded.configPath, {
    overlay: new Map([
      [loaded.configPath, fleetText],
      [agentFile, agentText],
    ]),
  });

  await mkdir(dirname(agentFile), { recursive: true });
  // "wx": never over a file someone made since the check above.
  const handle = await open(agentFile, "wx");
  try {
    await handle.writeFile(agentText);
  } finally {
    await handle.close();
  }
  try {
    await replaceFileText(loaded.configPath, fleetText, {
      expected: fleetBefore,
      display: relative(root, loaded.configPath) || loaded.configPath,
      inPlace: mayBeShielded(loaded.configPath, loaded),
    });
  } catch (error) {
    await rm(agentFile, { force: true });
    throw error;
  }
  await mkdir(workingDirectory, { recursive: true });
  return { fleet, agentFile, workingDirectory };
}
