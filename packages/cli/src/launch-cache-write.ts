import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadedFleet } from "@herdctl/core";
import { isCredentialEnvKey } from "@herdctl/core/internal/runner/runtime/docker-config";
import type { SpawnSpec } from "@herdctl/core/internal/runner/runtime/warm-claudes";
import { looksSecretName } from "@herdctl/core/internal/secrets/redactor";
import type { ConfigStamp } from "./config-stamp.js";
import { configStamp } from "./config-stamp-write.js";
import { type AgentLaunch, type ContainerLaunch, FILE, FORMAT, type LaunchCache } from "./launch-cache.js";
import { VERSION } from "./version.js";

/**
 * Keeps how a job started claude (`spec`, from the warm-claude pool) for the next in-process
 * trigger of the same kind (`key`: the agent, or the agent and a schedule, see `launchKey`), beside
 * the other entries while the fleet is unchanged. Without a
 * spec, or when the spec holds a secret value (an argument, a variable this process's environment
 * or the fleet's .env does not supply), the agent's entry is removed: it starts cold next time.
 * `container`, for a Docker agent's job, is kept the same way (containerOf).
 */
export function writeLaunchCache(
  stateDir: string,
  fleet: LoadedFleet,
  loadedAt: number,
  key: string,
  spec: SpawnSpec | undefined,
  baseEnv: NodeJS.ProcessEnv,
  container?: ContainerLaunch,
): void {
  const stamp = configStamp(fleet, loadedAt);
  if (!stamp) return;
  const path = join(stateDir, FILE);
  const { agents, containers } = readKept(path, fleet.configPath, stamp);
  const launch = spec && launchOf(spec, fleet, baseEnv);
  if (launch) agents[key] = launch;
  else delete agents[key];
  if (container) {
    const kept = containerOf(container, fleet);
    if (kept) containers[container.spec.agent] = kept;
    else delete containers[container.spec.agent];
  }
  const cache: LaunchCache = {
    format: FORMAT,
    herdctl: VERSION,
    configPath: fleet.configPath,
    ...stamp,
    agents,
    containers,
  };
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a trigger running alongside reads the old file or the new one.
  const temp = join(stateDir, `${FILE}.${process.pid}`);
  writeFileSync(temp, JSON.stringify(cache), { mode: 0o600 });
  renameSync(temp, path);
}

/** The other agents' entries, when they were written for the same fleet files. */
function readKept(
  path: string,
  configPath: string,
  stamp: ConfigStamp,
): { agents: Record<string, AgentLaunch>; containers: Record<string, ContainerLaunch> } {
  try {
    const old = JSON.parse(readFileSync(path, "utf8")) as LaunchCache;
    if (
      old.format === FORMAT &&
      old.herdctl === VERSION &&
      old.configPath === configPath &&
      JSON.stringify([old.files, old.env]) === JSON.stringify([stamp.files, stamp.env]) &&
      typeof old.agents === "object" &&
      old.agents !== null
    )
      return {
        agents: old.agents,
        containers: typeof old.containers === "object" && old.containers !== null ? old.containers : {},
      };
  } catch {
    // Missing or damaged: started again.
  }
  return { agents: {}, containers: {} };
}

/**
 * The container spec without its credentials (docker.env's credential variables are given per
 * exec; neither the container's hash nor its create request holds them), or undefined when
 * anything else in it holds a secret value: such an agent's container is created cold each time.
 */
function containerOf(launch: ContainerLaunch, fleet: LoadedFleet): ContainerLaunch | undefined {
  const { spec, body } = launch;
  const env = Object.fromEntries(
    Object.entries(spec.config.env).filter(([name]) => !isCredentialEnvKey(name)),
  );
  const kept: ContainerLaunch = { spec: { ...spec, config: { ...spec.config, env } }, body };
  const text = JSON.stringify(kept);
  if (secretValues(fleet).some((secret) => text.includes(secret))) return undefined;
  if (Object.keys(env).some(looksSecretName)) return undefined;
  return kept;
}

/**
 * `spec` as what differs from `baseEnv`, this process's environment as it started (the Agent SDK
 * adds variables to it once loaded, which the next trigger's process will not have when it starts
 * claude ahead).
 */
function launchOf(spec: SpawnSpec, fleet: LoadedFleet, baseEnv: NodeJS.ProcessEnv): AgentLaunch | undefined {
  const secrets = secretValues(fleet);
  const holdsSecret = (text: string) => secrets.some((secret) => text.includes(secret));
  if ([spec.command, spec.cwd, ...spec.args].some(holdsSecret)) return undefined;
  const set: AgentLaunch["set"] = {};
  for (const [name, value] of Object.entries(spec.env)) {
    if (baseEnv[name] === value) continue;
    if (fleet.dotEnv[name] === value) set[name] = { dotenv: true };
    else if (looksSecretName(name) || holdsSecret(value)) return undefined;
    else set[name] = value;
  }
  const drop = Object.keys(baseEnv).filter((name) => baseEnv[name] !== undefined && !(name in spec.env));
  return { command: spec.command, args: [...spec.args], cwd: spec.cwd, drop, set, sessionId: spec.sessionId };
}

// Shorter values are not treated as secrets anywhere (the redactor's rule): "1" is in every argv.
const MIN_SECRET = 6;

/** The fleet's secrets and every value of a secret-looking variable this process or .env has. */
function secretValues(fleet: LoadedFleet): string[] {
  const values = new Set(fleet.secretValues);
  for (const env of [process.env, fleet.dotEnv])
    for (const [name, value] of Object.entries(env)) if (value && looksSecretName(name)) values.add(value);
  return [...values].filter((v) => v.length >= MIN_SECRET);
}
