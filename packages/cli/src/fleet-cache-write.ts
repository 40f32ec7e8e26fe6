import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { LoadedFleet } from "@herdctl/core";
import { SOURCE_RECORD } from "@herdctl/core/internal/agent-install/record";
import { secretValuesOf } from "@herdctl/core/internal/config/redact";
import { BUILD_ID } from "./build-id.js";
import { configStamp } from "./config-stamp-write.js";
import { FILE, type FleetCache, FORMAT, type KeptFleet, loadedFrom } from "./fleet-cache.js";

// The redactor's rule: shorter values are not treated as secrets anywhere.
const MIN_SECRET = 6;

/**
 * Keeps `fleet`, parsed at `loadedAt` (ms since the epoch), for the next in-process trigger
 * (fleet-cache.ts). Nothing is written, and false returned, when the fleet's configuration holds
 * a secret (a value from a secret-looking variable, one under a secret-looking key, a database
 * URL's password), when the file would contain any secret value this process knows of, when what
 * the next trigger would rebuild from it is not exactly `fleet`, or when a file changed around
 * the parse (configStamp). `env` is the environment the fleet was parsed in (this process's as it
 * started: the Agent SDK adds variables to it once loaded).
 */
export function writeFleetCache(
  stateDir: string,
  fleet: LoadedFleet,
  loadedAt: number,
  env: NodeJS.ProcessEnv = process.env,
  build = BUILD_ID,
): boolean {
  if (build === undefined) return false;
  if (fleet.secretPaths.length > 0) return false;
  if (secretValuesOf({ fleet: fleet.fleet, agents: fleet.agents, secretPaths: [] }, {}).length > 0)
    return false;
  const stamp = configStamp(fleet, loadedAt);
  if (!stamp) return false;
  // Where `agent add` records an agent's origin: a parse protects it when it exists, so its
  // appearing must make the kept fleet stale.
  const known = new Set(stamp.files.map(([path]) => path));
  for (const agent of fleet.agents) {
    const record = join(dirname(agent.configPath), SOURCE_RECORD);
    if (!known.has(record)) {
      known.add(record);
      stamp.files.push([record, null]);
    }
  }
  const { secretValues: _s, dotEnv: _d, sourceTexts, scheduleSources, ...rest } = fleet;
  const kept: KeptFleet = {
    ...rest,
    sourceFiles: [...sourceTexts.keys()],
    scheduleSources: [...scheduleSources].map(([agent, byName]) => [agent, [...byName]]),
  };
  const cache: FleetCache = { format: FORMAT, build, configPath: fleet.configPath, ...stamp, fleet: kept };
  const text = JSON.stringify(cache);
  if (fleet.secretValues.some((secret) => secret.length >= MIN_SECRET && text.includes(secret))) return false;
  // JSON drops undefined fields and turns other values into something else: keep only what reads back the same.
  try {
    if (!isDeepStrictEqual(loadedFrom((JSON.parse(text) as FleetCache).fleet, env), fleet)) return false;
  } catch {
    return false;
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a trigger running alongside reads the old file or the new one.
  const temp = join(stateDir, `${FILE}.${process.pid}`);
  rmSync(temp, { force: true });
  writeFileSync(temp, text, { mode: 0o600, flag: "wx" });
  renameSync(temp, join(stateDir, FILE));
  return true;
}
