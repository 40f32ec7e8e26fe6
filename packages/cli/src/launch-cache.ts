import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readDotEnv } from "@herdctl/core/internal/config/dot-env";
import { CONTAINER_CLAUDE_DIR } from "@herdctl/core/internal/docker/runtime-image";
import type {
  ContainerCreateBody,
  ContainerSpec,
} from "@herdctl/core/internal/runner/runtime/container-manager";
import type { SpawnSpec } from "@herdctl/core/internal/runner/runtime/warm-claudes";
import { WARM_JOB_LABEL } from "@herdctl/core/internal/runner/runtime/warm-containers";
import { type ConfigStamp, isStamp, stampIsCurrent } from "./config-stamp.js";
import { ownedPrivately } from "./private-file.js";
import { VERSION } from "./version.js";

/**
 * How an in-process trigger's last job of each agent started claude, kept in the state directory
 * so the next trigger can start claude at once, before it reads the fleet and opens the state
 * (speculative-claude.ts). It holds no secret: the environment is kept as what differs from this
 * process's own (a variable from the fleet's .env is named, not copied), and nothing is written
 * when a value or argument holds a secret (launch-cache-write.ts). It is never trusted: the job
 * takes the process only when the claude it computes from the parsed fleet is exactly this one.
 */
export interface LaunchCache extends ConfigStamp {
  format: typeof FORMAT;
  herdctl: string;
  configPath: string;
  agents: Record<string, AgentLaunch>;
  /**
   * A Docker agent's last ephemeral container, by agent: what the next trigger creates and starts
   * ahead (early-container.ts, container-ahead.ts). Without credentials (those are given per exec), and not kept when
   * anything else in it holds a secret.
   */
  containers?: Record<string, ContainerLaunch>;
}

/** A Docker agent's last ephemeral container: its spec, and the engine's create request made from it. */
export interface ContainerLaunch {
  spec: ContainerSpec;
  body: ContainerCreateBody;
}

export interface AgentLaunch {
  command: string;
  args: string[];
  cwd: string;
  /** This process's variables claude did not get (an agent's chat tokens). */
  drop: string[];
  /** Variables whose value differs from this process's: the value, or a name read from .env. */
  set: Record<string, string | { dotenv: true }>;
  /** A fresh session's id in `args`, replaced by a new one; undefined when `args` resume a session. */
  sessionId?: string;
}

export const FORMAT = 1;
export const FILE = "launch-cache.json";

/** What a trigger asked for that decides which claude its job will start. */
export interface LaunchRequest {
  fresh?: boolean;
  schedule?: string;
  resume?: string;
}

/**
 * Where a trigger's launch is kept: per agent, and apart for each schedule (whose session rule
 * and prompt are its own). A schedule name cannot hold a newline, so no two requests share a key.
 */
export function launchKey(agent: string, schedule: string | undefined): string {
  return schedule === undefined ? agent : `${agent}\nschedule ${schedule}`;
}

/**
 * `HERDCTL_LAUNCH_CACHE=0` (or `false`, `off`): no claude is started ahead, and neither this cache
 * nor the fleet cache (fleet-cache.ts) is read or written (docs/operating.md).
 */
export function launchCacheOff(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.HERDCTL_LAUNCH_CACHE?.trim().toLowerCase();
  return value === "0" || value === "false" || value === "off";
}

/**
 * The spawn spec the agent's last in-process job of this kind used, rebuilt with this process's
 * environment, when the cache file is ours (a regular file owned by this user, no access for
 * others), nothing the fleet's parse read has changed since it was written, and it starts the
 * session the request asks for: a fresh one (with a new id), the session a trigger without
 * `--fresh` continues, or, for `--resume <id>`, that session and no other. A schedule's own entry
 * is taken as it is: its session rule is in the fleet files, which the stamp covers.
 */
export function cachedLaunch(
  stateDir: string,
  configPath: string,
  agent: string,
  request: LaunchRequest = {},
): SpawnSpec | undefined {
  const cache = readCache(stateDir, configPath);
  const launch = cache?.agents[launchKey(agent, request.schedule)];
  if (!cache || !isLaunch(launch) || !fits(launch, request) || !stampIsCurrent(cache)) return undefined;
  const env = withoutUndefined(process.env);
  for (const name of launch.drop) delete env[name];
  let dotEnv: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(launch.set)) {
    if (typeof value === "string") env[name] = value;
    else {
      dotEnv ??= readDotEnv(dirname(configPath));
      const fromFile = process.env[name] ?? dotEnv[name];
      if (fromFile === undefined) return undefined;
      env[name] = fromFile;
    }
  }
  return { command: launch.command, args: launch.args, cwd: launch.cwd, env, sessionId: launch.sessionId };
}

/**
 * The container the agent's last in-process job ran in, as a spec to create its next one from,
 * under the same rules as `cachedLaunch` (a file that is ours, a fleet unchanged since). Its
 * claude config folder must be the agent's own under this state directory (the folder herdctl
 * creates and hands to the container user), and it must be an ephemeral container's.
 */
export function cachedContainer(
  stateDir: string,
  configPath: string,
  agent: string,
): ContainerLaunch | undefined {
  const cache = readCache(stateDir, configPath);
  const entry = cache?.containers?.[agent];
  if (
    !cache ||
    typeof entry !== "object" ||
    entry === null ||
    !isContainerSpec(entry.spec, stateDir, agent) ||
    !isCreateBody(entry.body, entry.spec) ||
    !stampIsCurrent(cache)
  )
    return undefined;
  return entry;
}

function readCache(stateDir: string, configPath: string): LaunchCache | undefined {
  if (launchCacheOff()) return undefined;
  const path = join(stateDir, FILE);
  let cache: LaunchCache;
  try {
    if (!ownedPrivately(path) || !ownedPrivately(stateDir)) return undefined;
    cache = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  if (!isCache(cache) || cache.herdctl !== VERSION || cache.configPath !== configPath) return undefined;
  return cache;
}

function fits(launch: AgentLaunch, request: LaunchRequest): boolean {
  if (request.schedule !== undefined) return true;
  if (request.fresh) return launch.sessionId !== undefined;
  if (launch.sessionId !== undefined) return false;
  // The session must be the one asked for: never another session's claude.
  return request.resume === undefined || resumedIn(launch.args) === request.resume;
}

/** The session a claude argv resumes (`--resume=<id>` or `--resume <id>`), if any. */
export function resumedIn(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("--resume=")) return arg.slice("--resume=".length);
    if (arg === "--resume") return args[i + 1];
  }
  return undefined;
}

function withoutUndefined(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function isCache(value: unknown): value is LaunchCache {
  const c = value as LaunchCache;
  return (
    typeof c === "object" &&
    c !== null &&
    c.format === FORMAT &&
    typeof c.configPath === "string" &&
    isStamp(c) &&
    typeof c.agents === "object" &&
    c.agents !== null
  );
}

/** The shape the container manager reads; anything else in it is checked by the job's hash. */
function isContainerSpec(value: unknown, stateDir: string, agent: string): value is ContainerSpec {
  const s = value as ContainerSpec;
  return (
    typeof s === "object" &&
    s !== null &&
    s.agent === agent &&
    s.jobId === WARM_JOB_LABEL &&
    typeof s.fleet === "string" &&
    typeof s.workingDirectory === "string" &&
    s.claudeConfigDir === join(stateDir, "docker-sessions", agent) &&
    (s.guard === undefined || s.guard.stateDir === stateDir) &&
    typeof s.config === "object" &&
    s.config !== null &&
    s.config.ephemeral === true &&
    typeof s.config.image === "string" &&
    typeof s.config.user === "string"
  );
}

/** An object whose bind mounts are the spec's own two folders first, as the manager makes them. */
function isCreateBody(value: unknown, spec: ContainerSpec): value is ContainerCreateBody {
  const b = value as { Labels?: unknown; HostConfig?: { Binds?: unknown } };
  if (typeof b !== "object" || b === null || typeof b.Labels !== "object" || b.Labels === null) return false;
  const binds = b.HostConfig?.Binds;
  return (
    Array.isArray(binds) &&
    typeof binds[0] === "string" &&
    binds[0].startsWith(`${spec.workingDirectory}:`) &&
    binds[1] === `${spec.claudeConfigDir}:${CONTAINER_CLAUDE_DIR}:rw`
  );
}

function isLaunch(value: unknown): value is AgentLaunch {
  const l = value as AgentLaunch;
  return (
    typeof l === "object" &&
    l !== null &&
    typeof l.command === "string" &&
    typeof l.cwd === "string" &&
    Array.isArray(l.args) &&
    l.args.every((a) => typeof a === "string") &&
    Array.isArray(l.drop) &&
    l.drop.every((d) => typeof d === "string") &&
    typeof l.set === "object" &&
    l.set !== null &&
    Object.values(l.set).every(
      (v) => typeof v === "string" || (typeof v === "object" && v?.dotenv === true),
    ) &&
    (l.sessionId === undefined || typeof l.sessionId === "string")
  );
}
