import { lstatSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseEnv } from "node:util";
import type { SpawnSpec } from "@herdctl/core/internal/runner/runtime/warm-claudes";
import { type ConfigStamp, isStamp, stampIsCurrent } from "./config-stamp.js";
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

/**
 * The spawn spec the agent's last in-process job used, rebuilt with this process's environment,
 * when the cache file is ours (a regular file owned by this user, no access for others) and
 * nothing the fleet's parse read has changed since it was written.
 */
export function cachedLaunch(stateDir: string, configPath: string, agent: string): SpawnSpec | undefined {
  const path = join(stateDir, FILE);
  let cache: LaunchCache;
  try {
    if (!ownedPrivately(path) || !ownedPrivately(stateDir)) return undefined;
    cache = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  if (!isCache(cache) || cache.herdctl !== VERSION || cache.configPath !== configPath) return undefined;
  const launch = cache.agents[agent];
  if (!isLaunch(launch) || !stampIsCurrent(cache)) return undefined;
  const env = withoutUndefined(process.env);
  for (const name of launch.drop) delete env[name];
  let dotEnv: NodeJS.Dict<string> | undefined;
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

/** A regular file or directory owned by this user that no other user may write (or, for a file, read). */
function ownedPrivately(path: string): boolean {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink() || (process.getuid && stat.uid !== process.getuid())) return false;
  return stat.isDirectory() ? (stat.mode & 0o022) === 0 : stat.isFile() && (stat.mode & 0o077) === 0;
}

function readDotEnv(rootDir: string): NodeJS.Dict<string> {
  try {
    return parseEnv(readFileSync(join(rootDir, ".env"), "utf8"));
  } catch {
    return {};
  }
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
