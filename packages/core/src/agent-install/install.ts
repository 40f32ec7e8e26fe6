import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative, sep } from "node:path";
import { envValue } from "../config/env-refs.js";
import type { ConfigIssue } from "../config/errors.js";
import { NAME_PATTERN } from "../config/schema.js";
import type { LoadedFleet } from "../config/types.js";
import { mayBeShielded } from "../schedule-edit/shielded.js";
import { replaceFileText } from "../schedule-edit/write-file.js";
import { Redactor } from "../secrets/redactor.js";
import { agentNameIn, checkAgentLoads, renameAgent } from "./agent-file.js";
import { type EnvNeed, envNeeds, scanEnvReferences } from "./env-scan.js";
import { AgentInstallError } from "./errors.js";
import { fetchRepository } from "./fetch.js";
import { addAgentEntry } from "./fleet-file.js";
import { type AgentReach, agentReach } from "./reach.js";
import { type SourceRecord, writeSourceRecord } from "./record.js";
import { parseAgentSource } from "./source.js";
import { type AgentTree, agentFolder, inspectTree, LIMITS } from "./tree.js";

export const AGENT_FILE = "agent.yaml";
/** Installed agents live in `<fleet folder>/agents/<name>/`. */
export const AGENTS_DIR = "agents";

export interface InstallRequest {
  /** `github:owner/repo[#ref]`, a git URL, or a local path / file:// URL. */
  source: string;
  /** Where a relative source path starts. */
  cwd: string;
  /** The agent's folder inside the repository; its root when absent. */
  path?: string;
  /** Install under this name instead of the one in its agent.yaml. */
  name?: string;
  limits?: typeof LIMITS;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface InstallResult {
  name: string;
  /** The agent's new folder and file (absolute), and the entry added to the fleet file. */
  dir: string;
  configFile: string;
  entry: string;
  record: SourceRecord;
  /** Every `${VAR}` the agent's files mention, with whether it is set. */
  env: EnvNeed[];
  /** The loader's warnings about the agent (shell hooks that will not run, risky Docker settings). */
  warnings: ConfigIssue[];
  /** What it will be able to do once the fleet runs it. */
  reach: AgentReach;
}

/**
 * Installs an agent from a git repository: fetches it into a private temporary folder, checks
 * everything there (only plain files, within LIMITS, an agent.yaml the fleet's own loader
 * accepts, a free name), then copies it into a hidden folder beside its final place, records its
 * origin, renames the folder into place and adds it to the fleet file. Nothing from the repository
 * is run. Any failure leaves agents/ and the fleet file as they were.
 */
export async function installAgent(loaded: LoadedFleet, request: InstallRequest): Promise<InstallResult> {
  const source = parseAgentSource(request.source, request.cwd);
  if (request.name !== undefined && !NAME_PATTERN.test(request.name))
    throw new AgentInstallError(
      "AGENT_BAD_REQUEST",
      `--name ${JSON.stringify(request.name)}: use letters, digits, _ and - (starting with a letter or digit)`,
    );
  const temp = await mkdtemp(join(tmpdir(), "herdctl-agent-"));
  try {
    const clone = join(temp, "repo");
    await mkdir(clone);
    const { commit } = await fetchRepository(source, clone, request.signal);
    const folder = await agentFolder(clone, request.path);
    const tree = await inspectTree(folder, request.limits ?? LIMITS);
    const inRepo = request.path
      ? `${relative(clone, folder).split(sep).join("/")}/${AGENT_FILE}`
      : AGENT_FILE;
    if (!tree.files.some((f) => f.path === AGENT_FILE))
      throw new AgentInstallError(
        "AGENT_INVALID",
        `${source.display} has no ${inRepo}; an agent repository keeps its agent.yaml at its root, ` +
          "or pass --path <folder> for one in a subfolder",
      );

    const original = await readFile(join(folder, AGENT_FILE), "utf8");
    const ownName = agentNameIn(original);
    const name = request.name ?? ownName;
    const usable = name !== undefined && NAME_PATTERN.test(name);
    const agentText =
      request.name !== undefined && request.name !== ownName ? renameAgent(original, request.name) : original;
    // Without a usable name the agent is still loaded, so every problem is reported at once; it
    // goes under a folder name no agent can have, so it cannot shadow a real one.
    const folderName = usable ? name : ".unnamed";
    const dir = join(loaded.rootDir, AGENTS_DIR, folderName);
    const configFile = join(dir, AGENT_FILE);
    if (usable) refuseClash(loaded, name, dir);

    const entry = `./${AGENTS_DIR}/${folderName}/${AGENT_FILE}`;
    const fleetBefore = await readFile(loaded.configPath, "utf8");
    const fleetText = addAgentEntry(fleetBefore, entry);
    const { fleet, warnings } = await checkAgentLoads({
      configPath: loaded.configPath,
      fleetText,
      agentFile: configFile,
      agentText,
      agentDisplay: relative(loaded.rootDir, configFile).split(sep).join("/"),
      shownAs: inRepo,
      sourceDisplay: source.display,
      dotEnvDisplay: relative(request.cwd, join(loaded.rootDir, ".env")) || ".env",
    });
    // The loader requires a valid name, so this holds already; it keeps a future schema change
    // from installing into the placeholder folder.
    if (!usable)
      throw new AgentInstallError(
        "AGENT_INVALID",
        `${inRepo} has no valid name:; add one, or pass --name <name>`,
      );

    const env = envNeeds(
      await scanEnvReferences(
        folder,
        tree.files.map((f) => f.path),
      ),
      (variable) => envValue(loaded, variable),
    );
    const record: SourceRecord = {
      source: source.repository,
      ref: source.ref ?? null,
      commit,
      path: request.path ? relative(clone, folder).split(sep).join("/") : null,
      originalName: agentText === original ? null : (ownName ?? null),
      installedAt: (request.now?.() ?? new Date()).toISOString(),
    };
    const madeAgentsDir = await place(folder, tree, dir, agentText, record);
    try {
      await replaceFileText(loaded.configPath, fleetText, {
        expected: fleetBefore,
        display: relative(loaded.rootDir, loaded.configPath) || loaded.configPath,
        inPlace: mayBeShielded(loaded.configPath, loaded),
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      if (madeAgentsDir) await rmdir(join(loaded.rootDir, AGENTS_DIR)).catch(() => {});
      throw error;
    }
    const redactor = new Redactor(fleet.secretValues);
    return {
      name,
      dir,
      configFile,
      entry,
      record,
      env,
      warnings,
      reach: agentReach(fleet.agents.find((a) => a.configPath === configFile)!, loaded.rootDir, (text) =>
        redactor.redact(text),
      ),
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function refuseClash(loaded: LoadedFleet, name: string, dir: string): void {
  const existing = loaded.agents.find((a) => a.name === name);
  if (existing)
    throw new AgentInstallError(
      "AGENT_EXISTS",
      `the fleet already has an agent named ${name} (${relative(loaded.rootDir, existing.configPath)}); ` +
        "install this one under another name with --name <name>, or remove the other first",
    );
  if (existsSync(dir))
    throw new AgentInstallError(
      "AGENT_EXISTS",
      `${relative(loaded.rootDir, dir)} already exists; move it away, or install under another name with --name <name>`,
    );
}

/**
 * Copies the checked tree into a hidden sibling of `dir` and renames it into place, so `dir`
 * appears complete or not at all. Whether this made the agents/ folder, so a later failure can undo it.
 */
async function place(
  from: string,
  tree: AgentTree,
  dir: string,
  agentText: string,
  record: SourceRecord,
): Promise<boolean> {
  const parent = join(dir, "..");
  const madeParent = !existsSync(parent);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, `.${basename(dir)}.installing-`));
  try {
    await chmod(staging, 0o755);
    for (const sub of tree.dirs) await mkdir(join(staging, sub), { mode: 0o755 });
    for (const file of tree.files) {
      const target = join(staging, file.path);
      if (file.path === AGENT_FILE) await writeFile(target, agentText, { flag: "wx", mode: 0o644 });
      else await copyFile(join(from, file.path), target);
      await chmod(target, file.executable ? 0o755 : 0o644);
    }
    await writeSourceRecord(staging, record);
    await rename(staging, dir);
    return madeParent;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (madeParent) await rmdir(parent).catch(() => {});
    throw error;
  }
}
