import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { SOURCE_RECORD } from "../agent-install/record.js";
import { agentFileReachIssues } from "./agent-docker-reach.js";
import { CONFIG_FILE_NAMES, resolveConfigPath } from "./discover.js";
import { dockerReachIssues } from "./docker-reach.js";
import { dockerRiskWarnings } from "./docker-risks.js";
import { dotEnvBelow, readDotEnv } from "./dot-env.js";
import { unsetEnvReferences, webhooksWithoutSecret } from "./env-refs.js";
import { ConfigError, type ConfigIssue, issuePlace } from "./errors.js";
import { AGENT_GATE_HINT, AGENT_GATE_REFUSED, type Gate, gatePlacement } from "./gate.js";
import { mayRunHostCommands } from "./host-commands.js";
import { interpolate } from "./interpolate.js";
import {
  AGENT_HOOK_HINT,
  AGENT_HOOK_REFUSED,
  HOOK_LISTS,
  hookScriptPaths,
  hookSources,
  looserDockerIssues,
} from "./isolation.js";
import { normalizeAgent, normalizeFleet } from "./legacy.js";
import { mergeLayers, withoutKeys } from "./merge.js";
import { resolvePlugins } from "./plugins.js";
import { secretValuesOf } from "./redact.js";
import { rejectPrototypeKeys } from "./reserved-keys.js";
import {
  type AgentConfig,
  AgentSchema,
  FLEET_ONLY_DEFAULT_KEYS,
  FleetSchema,
  NAME_PATTERN,
} from "./schema.js";
import { cliSettingSourcesWarning, defaultSettingSources } from "./setting-sources.js";
import {
  getChild,
  issueAt,
  originIssue,
  readYamlFile,
  type Segment,
  type SNode,
  type SourceFile,
  walkScalars,
} from "./source.js";
import type { LoadedFleet, ResolvedAgent, ResolvedFleet, ScheduleSource } from "./types.js";
import { validateNode } from "./validate.js";
import { collectDefaultDurations, collectWritten, type WrittenValue } from "./written.js";

interface Context {
  env: NodeJS.ProcessEnv;
  rootDir: string;
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
  agents: ResolvedAgent[];
  secretPaths: Segment[][];
  written: WrittenValue[];
  agentNames: Map<string, ConfigIssue>;
  qualifiers: Map<string, ConfigIssue>;
  /** Every file that configures the fleet; see LoadedFleet.protectedPaths. */
  protectedPaths: Set<string>;
  /** File texts to use instead of what is on disk: an edit is loaded before it is written. */
  overlay?: ReadonlyMap<string, string>;
  sourceTexts: Map<string, string>;
  scheduleSources: Map<string, Map<string, ScheduleSource[]>>;
  /** Whether the root fleet names webhooks.secret_env, which covers webhook schedules without their own. */
  fleetWebhookSecret?: boolean;
  /** Texts made from objects rather than read from files: how their issues are labelled. */
  virtual: Map<string, VirtualSource>;
  /** Paths of agents given as objects, joined to the root fleet after its own agents. */
  inlineAgentPaths: string[];
}

interface VirtualSource {
  display: string;
  keyPrefix: Segment[];
}

/** An agent given as an object instead of an agent file (see loadFleetObject and FleetManager.addAgent). */
export interface InlineAgent {
  config: unknown;
  /** Names the source in issues, e.g. "fleet object". */
  display: string;
  /** Prefixes the key path in issues, e.g. ["agents", 2]. */
  keyPrefix: Segment[];
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  overlay?: ReadonlyMap<string, string>;
  /** Agents that join the root fleet beside the ones its file lists, under its defaults. */
  inlineAgents?: readonly InlineAgent[];
}

interface FleetVisit {
  absPath: string;
  /** Absolute paths of the fleets that led here, root first. */
  chain: string[];
  qualifier: string[];
  inheritedDefaults?: SNode;
  overrides?: SNode;
  /** The `fleets[i]` entry in the parent, for errors about the reference itself. */
  ref?: SNode;
}

/** Loads and validates a fleet file (or the folder holding herdctl.yaml); throws ConfigError listing every problem. */
export async function loadFleet(pathOrDir: string, options: LoadOptions = {}): Promise<LoadedFleet> {
  return loadFleetAt(resolveConfigPath(resolve(pathOrDir)), options);
}

/**
 * Loads the fleet whose root file is `configPath`, which need not exist when `rootSource` stands
 * in for it (a fleet given as an object).
 */
export async function loadFleetAt(
  configPath: string,
  options: LoadOptions & { rootSource?: VirtualSource & { text: string } } = {},
): Promise<LoadedFleet> {
  const rootDir = dirname(configPath);
  const overlay = new Map(options.overlay);
  const virtual = new Map<string, VirtualSource>();
  if (options.rootSource) {
    const { text, ...source } = options.rootSource;
    overlay.set(configPath, text);
    virtual.set(configPath, source);
  }
  const inlineAgentPaths = (options.inlineAgents ?? []).map((agent, i) => {
    // Beside the fleet file, so a relative working_directory resolves against the fleet's folder.
    const absPath = join(rootDir, `.herdctl-inline-agent-${i}.yaml`);
    // A caller's overlay wins: a schedule edit loads its changed text in place of the object's.
    if (!overlay.has(absPath)) overlay.set(absPath, stringifyYaml(agent.config ?? null));
    virtual.set(absPath, { display: agent.display, keyPrefix: agent.keyPrefix });
    return absPath;
  });
  const baseEnv = options.env ?? process.env;
  const dotEnvFile = readDotEnv(rootDir);
  const dotEnv = dotEnvBelow(dotEnvFile, baseEnv);
  const ctx: Context = {
    env: { ...dotEnvFile, ...baseEnv },
    rootDir,
    issues: [],
    warnings: [],
    agents: [],
    secretPaths: [],
    written: [],
    agentNames: new Map(),
    qualifiers: new Map(),
    protectedPaths: new Set([join(rootDir, ".env")]),
    overlay,
    sourceTexts: new Map(),
    scheduleSources: new Map(),
    virtual,
    inlineAgentPaths,
  };
  const fleet = await visitFleet(ctx, { absPath: configPath, chain: [], qualifier: [] });
  const issues = tidy(ctx.issues);
  if (issues.length > 0 || !fleet) throw new ConfigError(issues);
  return {
    configPath,
    rootDir,
    fleet,
    agents: ctx.agents,
    warnings: tidy(ctx.warnings),
    secretPaths: ctx.secretPaths,
    secretValues: secretValuesOf({ fleet, agents: ctx.agents, secretPaths: ctx.secretPaths }, ctx.env),
    written: ctx.written,
    protectedPaths: [...ctx.protectedPaths],
    dotEnv,
    sourceTexts: ctx.sourceTexts,
    scheduleSources: ctx.scheduleSources,
  };
}

/** A sub-fleet reference may name the folder, like `-c`; a missing file is reported where it is read. */
export function fleetFileIn(target: string): string {
  try {
    if (!statSync(target).isDirectory()) return target;
  } catch {
    return target;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = join(target, name);
    if (existsSync(candidate)) return candidate;
  }
  return join(target, CONFIG_FILE_NAMES[0]);
}

function display(ctx: Context, absPath: string): string {
  return relative(ctx.rootDir, absPath).split(sep).join("/") || basename(absPath);
}

async function readTree(
  ctx: Context,
  absPath: string,
  reference: { root: SNode; path: Segment[]; what: string } | undefined,
): Promise<{ file: SourceFile; node: Extract<SNode, { kind: "map" }> } | undefined> {
  const virtual = ctx.virtual.get(absPath);
  if (!virtual) ctx.protectedPaths.add(absPath);
  const read = await readYamlFile(
    absPath,
    virtual?.display ?? display(ctx, absPath),
    ctx.overlay?.get(absPath),
    virtual?.keyPrefix,
  );
  if (read.file) ctx.sourceTexts.set(absPath, read.file.text);
  ctx.warnings.push(...read.warnings);
  if (!read.file && reference) {
    // Point at the line that names the missing file: that is where the fix goes.
    const issue = read.issues[0]!;
    const problem = issue.message === "file not found" ? "does not exist" : issue.message;
    ctx.issues.push(
      issueAt(reference.root, reference.path, `${reference.what} ${display(ctx, absPath)} ${problem}`, {
        hint: "paths are relative to the file that contains them",
      }),
    );
    return undefined;
  }
  ctx.issues.push(...read.issues);
  if (!read.file || !read.node) return undefined;
  if (read.node.kind !== "map") {
    const empty = read.node.kind === "scalar" && read.node.value == null;
    const got = empty ? "the file is empty" : read.node.kind === "seq" ? "got a list" : "got a single value";
    ctx.issues.push(
      originIssue(read.node.origin, `expected a mapping of keys to values; ${got}`, {
        hint:
          reference?.what === "agent file" ? "an agent file needs at least name: <agent-name>" : undefined,
      }),
    );
    return undefined;
  }
  ctx.issues.push(...rejectPrototypeKeys(read.node));
  return { file: read.file, node: read.node };
}

async function visitFleet(ctx: Context, visit: FleetVisit): Promise<ResolvedFleet | undefined> {
  const reference = visit.ref ? { root: visit.ref, path: ["path"], what: "sub-fleet file" } : undefined;
  const tree = await readTree(ctx, visit.absPath, reference);
  if (!tree) return undefined;
  // Keys that are ignored are dropped before interpolation, so a variable only they use need not be set.
  normalizeFleet(tree.node, ctx.warnings, ctx.issues);
  ctx.issues.push(...interpolate(tree.node, ctx.env));
  const view = mergeLayers(tree.node, visit.overrides)!;
  const validated = validateNode(FleetSchema, view);
  ctx.issues.push(...validated.issues);
  const chain = [...visit.chain, visit.absPath];
  if (visit.chain.length === 0)
    ctx.fleetWebhookSecret = getChild(getChild(view, "webhooks"), "secret_env") !== undefined;

  const ownDefaults = withoutKeys(getChild(view, "defaults"), FLEET_ONLY_DEFAULT_KEYS);
  const defaults = mergeLayers(visit.inheritedDefaults, ownDefaults);
  const fleetNode = getChild(view, "fleet");
  const fleetName = scalarString(getChild(fleetNode, "name"));
  const dir = dirname(visit.absPath);

  const agentRefs = getChild(view, "agents");
  if (agentRefs?.kind === "seq") {
    for (const ref of agentRefs.items) {
      const path = scalarString(getChild(ref, "path"));
      if (path === undefined) continue;
      await visitAgent(ctx, {
        absPath: resolve(dir, path),
        ref,
        defaults,
        overrides: getChild(ref, "overrides"),
        qualifier: visit.qualifier,
        fleetName: visit.qualifier.length > 0 ? visit.qualifier.join(".") : (fleetName ?? basename(dir)),
      });
    }
  }

  if (visit.chain.length === 0) {
    for (const absPath of ctx.inlineAgentPaths) {
      await visitAgent(ctx, { absPath, defaults, qualifier: [], fleetName: fleetName ?? basename(dir) });
    }
  }

  const fleetRefs = getChild(view, "fleets");
  if (fleetRefs?.kind === "seq") {
    for (const ref of fleetRefs.items) {
      const path = scalarString(getChild(ref, "path"));
      if (path === undefined) continue;
      const absPath = fleetFileIn(resolve(dir, path));
      if (chain.includes(absPath)) {
        const cycle = [...chain.slice(chain.indexOf(absPath)), absPath]
          .map((p) => display(ctx, p))
          .join(" → ");
        ctx.issues.push(
          issueAt(ref, ["path"], `sub-fleet cycle: ${cycle}`, {
            hint: "a fleet cannot include itself, directly or through other fleets",
          }),
        );
        continue;
      }
      const qualifier = await subFleetQualifier(ctx, ref, absPath, visit.qualifier);
      if (!qualifier) continue;
      await visitFleet(ctx, {
        absPath,
        chain,
        qualifier,
        inheritedDefaults: defaults,
        overrides: getChild(ref, "overrides"),
        ref,
      });
    }
  }

  if (!validated.data) return undefined;
  const data = validated.data;
  const { max_concurrent_jobs, claude_path, ...fleetDefaults } = data.defaults ?? {};
  const resolved: ResolvedFleet = {
    name: data.fleet?.name ?? basename(dir),
    version: data.version,
    defaults: fleetDefaults,
    web: data.web,
    webhooks: data.webhooks,
  };
  if (data.budget !== undefined && visit.chain.length === 0) resolved.budget = data.budget;
  if (data.state?.retention !== undefined && visit.chain.length === 0)
    resolved.retention = data.state.retention;
  if (data.state?.backend !== undefined && visit.chain.length === 0)
    resolved.state =
      data.state.url === undefined
        ? { backend: data.state.backend }
        : { backend: data.state.backend, url: data.state.url };
  if (data.fleet?.description !== undefined) resolved.description = data.fleet.description;
  if (max_concurrent_jobs !== undefined) resolved.max_concurrent_jobs = max_concurrent_jobs;
  if (claude_path !== undefined) {
    resolved.claude_path =
      claude_path.includes("/") || claude_path.includes(sep) ? resolve(dir, claude_path) : claude_path;
    if (isAbsolute(resolved.claude_path)) ctx.protectedPaths.add(resolved.claude_path);
  }
  if (visit.chain.length === 0) {
    ctx.warnings.push(...unsetEnvReferences(view, ctx.env, "fleet"));
    for (const section of ["defaults", "web", "webhooks"]) {
      const node = getChild(view, section);
      if (node) collectSecrets(node, ["fleet", section], ctx.secretPaths);
      if (node)
        collectWritten(node, resolved[section as keyof ResolvedFleet], ["fleet", section], ctx.written);
      const schema = FleetSchema.shape[section as "defaults" | "web" | "webhooks"];
      collectDefaultDurations(
        schema,
        resolved[section as keyof ResolvedFleet],
        ["fleet", section],
        ctx.written,
      );
    }
  }
  return resolved;
}

/**
 * The prefix for a sub-fleet's agent names: the reference's `name`, else the sub-fleet's own
 * `fleet.name`, else its folder name. It must be a valid name and unique among siblings.
 */
async function subFleetQualifier(
  ctx: Context,
  ref: SNode,
  absPath: string,
  parent: string[],
): Promise<string[] | undefined> {
  let name = scalarString(getChild(ref, "name"));
  let source: SNode = getChild(ref, "name") ?? getChild(ref, "path")!;
  // An explicit name is checked by the schema; only a derived one needs checking here.
  if (name !== undefined && !NAME_PATTERN.test(name)) return undefined;
  if (name === undefined) {
    const peek = await readYamlFile(absPath, display(ctx, absPath), ctx.overlay?.get(absPath));
    const own = peek.node ? getChild(getChild(peek.node, "fleet"), "name") : undefined;
    name = scalarString(own) ?? basename(dirname(absPath));
    source = getChild(ref, "path")!;
  }
  if (!NAME_PATTERN.test(name)) {
    ctx.issues.push(
      originIssue(source.origin, `sub-fleet name "${name}" cannot prefix agent names`, {
        hint: "set name: on this fleets entry, using letters, digits, _ and - (no dots)",
      }),
    );
    return undefined;
  }
  const qualifier = [...parent, name];
  const key = qualifier.join(".");
  const here = originIssue(source.origin, "");
  const previous = ctx.qualifiers.get(key);
  if (previous) {
    ctx.issues.push({
      ...here,
      message: `sub-fleet name "${name}" is already used at ${issuePlace(previous)}`,
      hint: "give one of the sub-fleets a different name: on its fleets entry",
    });
    return undefined;
  }
  ctx.qualifiers.set(key, here);
  return qualifier;
}

interface AgentVisit {
  absPath: string;
  /** The fleet file's `agents[i]` entry; absent for an agent given as an object. */
  ref?: SNode;
  defaults?: SNode;
  overrides?: SNode;
  qualifier: string[];
  fleetName: string;
}

async function visitAgent(ctx: Context, visit: AgentVisit): Promise<void> {
  const reference = visit.ref ? { root: visit.ref, path: ["path"], what: "agent file" } : undefined;
  const tree = await readTree(ctx, visit.absPath, reference);
  if (!tree) return;
  normalizeAgent(tree.node, ctx.warnings, ctx.issues);
  ctx.issues.push(...interpolate(tree.node, ctx.env));
  ctx.issues.push(
    ...agentFileReachIssues(visit.defaults, tree.node, visit.overrides, visit.ref ?? tree.node),
  );
  ctx.issues.push(...looserDockerIssues(visit.defaults, tree.node, visit.overrides));
  const merged = mergeLayers(visit.defaults, tree.node, visit.overrides)!;
  const validated = validateNode(AgentSchema, merged);
  ctx.issues.push(...validated.issues);
  if (!validated.data) return;
  ctx.warnings.push(...dockerRiskWarnings(merged));
  ctx.issues.push(...dockerReachIssues(merged));

  const { name, working_directory, docker, hooks, plugins, ...rest } = validated.data;
  const qualified = [...visit.qualifier, name].join(".");
  const nameNode = getChild(merged, "name")!;
  const here = originIssue(nameNode.origin, "");
  const previous = ctx.agentNames.get(qualified);
  if (previous) {
    ctx.issues.push({
      ...here,
      message: `agent name "${qualified}" is already used by ${issuePlace(previous)}`,
      hint: "agent names must be unique within a fleet; rename one of them",
    });
    return;
  }
  ctx.agentNames.set(qualified, here);
  ctx.scheduleSources.set(qualified, scheduleSourcesOf(merged));

  const agentDir = dirname(visit.absPath);
  // Where `agent add` recorded the agent's origin: it says what the agent is, like its file does.
  const sourceRecord = join(agentDir, SOURCE_RECORD);
  if (existsSync(sourceRecord)) ctx.protectedPaths.add(sourceRecord);
  const wdNode = getChild(merged, "working_directory");
  const agent: ResolvedAgent = {
    ...rest,
    name: qualified,
    working_directory: resolvePath(
      working_directory,
      wdNode ? dirname(wdNode.origin.file.absPath) : agentDir,
    ),
    configPath: visit.absPath,
    fleetName: visit.fleetName,
  };
  if (agent.setting_sources === undefined) {
    agent.setting_sources = defaultSettingSources(merged);
  }
  if (docker) agent.docker = docker;
  const settingsWarning = cliSettingSourcesWarning(merged, agent, ctx.env);
  if (settingsWarning) ctx.warnings.push(settingsWarning);
  if (hooks) agent.hooks = resolveHooks(ctx, hooks, merged, visit.absPath, agent);
  resolveGates(ctx, merged, visit.absPath, agent);
  if (plugins) {
    const found = resolvePlugins(plugins, merged, agent.working_directory);
    ctx.issues.push(...found.issues);
    agent.plugins = found.plugins;
    // A plugin's hooks and MCP servers run as the agent; no job may rewrite them.
    for (const plugin of found.plugins) ctx.protectedPaths.add(plugin.path);
  }
  collectSecrets(merged, ["agents", ctx.agents.length], ctx.secretPaths);
  collectWritten(merged, agent, ["agents", ctx.agents.length], ctx.written);
  collectDefaultDurations(AgentSchema, agent, ["agents", ctx.agents.length], ctx.written);
  ctx.warnings.push(...unsetEnvReferences(merged, ctx.env, "agent"));
  ctx.warnings.push(...webhooksWithoutSecret(merged, ctx.fleetWebhookSecret === true));
  ctx.agents.push(agent);
}

/**
 * Tags each hook with the file that declared it, protects the scripts shell hooks name, and warns
 * about agent-file shell hooks that will not run because the agent may not run commands itself.
 */
function resolveHooks(
  ctx: Context,
  hooks: NonNullable<AgentConfig["hooks"]>,
  merged: SNode,
  agentFile: string,
  agent: ResolvedAgent,
): NonNullable<ResolvedAgent["hooks"]> {
  const sources = hookSources(merged, agentFile);
  const resolved: NonNullable<ResolvedAgent["hooks"]> = {};
  for (const list of HOOK_LISTS) {
    const specs = hooks[list];
    if (!specs) continue;
    resolved[list] = specs.map((hook, index) => {
      const declaredIn = sources[list][index]?.declaredIn ?? "agent";
      if (hook.type === "shell") {
        for (const path of hookScriptPaths(hook.command, agent.working_directory))
          ctx.protectedPaths.add(path);
        if (declaredIn === "agent" && !agent.docker?.enabled && !mayRunHostCommands(agent)) {
          ctx.warnings.push(
            issueAt(merged, ["hooks", list, index], AGENT_HOOK_REFUSED, {
              at: "key",
              hint: AGENT_HOOK_HINT,
            }),
          );
        }
      }
      return { ...hook, declaredIn };
    });
  }
  return resolved;
}

/**
 * Tags each schedule's gate with the file that wrote its command and protects the scripts it
 * names, as for shell hooks: a gate decides what runs, so no job may rewrite it.
 */
function resolveGates(ctx: Context, merged: SNode, agentFile: string, agent: ResolvedAgent): void {
  for (const [name, schedule] of Object.entries(agent.schedules ?? {})) {
    const gate = schedule.gate as Gate | undefined;
    if (!gate) continue;
    const node = getChild(getChild(getChild(merged, "schedules"), name), "gate");
    const run = node?.kind === "map" ? getChild(node, "run") : node;
    gate.declaredIn = run?.origin.file.absPath === agentFile ? "agent" : "fleet";
    for (const path of hookScriptPaths(gate.run, agent.working_directory)) ctx.protectedPaths.add(path);
    if (gatePlacement(agent, gate) === "refused") {
      ctx.warnings.push(
        issueAt(merged, ["schedules", name, "gate"], AGENT_GATE_REFUSED, {
          at: "key",
          hint: AGENT_GATE_HINT,
        }),
      );
    }
  }
}

function resolvePath(path: string | undefined, base: string): string {
  if (path === undefined) return base;
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(base, path);
}

/** Where each part of each merged schedule was written, so an edit can tell whose file to change. */
function scheduleSourcesOf(merged: SNode): Map<string, ScheduleSource[]> {
  const out = new Map<string, ScheduleSource[]>();
  const schedules = getChild(merged, "schedules");
  if (schedules?.kind !== "map") return out;
  for (const [name, node] of schedules.entries) {
    const sources: ScheduleSource[] = [];
    const add = (origin: SNode["origin"]) => {
      const { line, col } = originIssue(origin, "");
      sources.push({ absPath: origin.file.absPath, path: origin.path, line, col });
    };
    add(node.origin);
    walkScalars(node, (leaf) => add(leaf.origin));
    out.set(name, sources);
  }
  return out;
}

function collectSecrets(node: SNode, prefix: Segment[], out: Segment[][]): void {
  walkScalars(node, (leaf, path) => {
    if (leaf.secret) out.push([...prefix, ...path]);
  });
}

function scalarString(node: SNode | undefined): string | undefined {
  return node?.kind === "scalar" && typeof node.value === "string" ? node.value : undefined;
}

/** Drops duplicates (a bad default is seen once per agent) and orders by file, then position. */
function tidy(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const fileOrder = new Map<string, number>();
  const unique = issues.filter((issue) => {
    const key = `${issue.file}\0${issue.line}\0${issue.col}\0${issue.path}\0${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (!fileOrder.has(issue.file)) fileOrder.set(issue.file, fileOrder.size);
    return true;
  });
  return unique.sort(
    (a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col,
  );
}

export type { LoadedFleet, ResolvedAgent, ResolvedFleet } from "./types.js";
