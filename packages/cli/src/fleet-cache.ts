import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadedFleet } from "@herdctl/core";
import { dotEnvBelow, readDotEnv } from "@herdctl/core/internal/config/dot-env";
import type { ScheduleSource } from "@herdctl/core/internal/config/types";
import { envSecretValues } from "@herdctl/core/internal/secrets/redactor";
import { BUILD_ID } from "./build-id.js";
import { type ConfigStamp, isStamp, stampIsCurrent } from "./config-stamp.js";
import { launchCacheOff } from "./launch-cache.js";
import { ownedPrivately } from "./private-file.js";

/**
 * The fleet as the last in-process trigger parsed it, kept in the state directory so the next
 * trigger takes it instead of loading YAML, zod and the schemas and parsing every file (most of
 * what a trigger does before its job starts). Used only while everything the parse read is
 * unchanged (config-stamp.ts), by the same build (build-id.ts), from a file that is ours and
 * private (private-file.ts). It holds no secret: a fleet whose configuration holds one is not
 * kept, and what a parse takes from the environment (the secret values to redact, `.env`) is
 * taken again from this process's (fleet-cache-write.ts checks that this gives the parse's fleet).
 */
export interface FleetCache extends ConfigStamp {
  format: typeof FORMAT;
  build: string;
  configPath: string;
  fleet: KeptFleet;
}

/** A loaded fleet without its environment-derived parts, the YAML files by path only, Maps as entries. */
export type KeptFleet = Omit<LoadedFleet, "secretValues" | "dotEnv" | "sourceTexts" | "scheduleSources"> & {
  sourceFiles: string[];
  scheduleSources: Array<[string, Array<[string, ScheduleSource[]]>]>;
};

export const FORMAT = 1;
export const FILE = "fleet-cache.json";

/** The kept fleet for `configPath`, when it may be used (see FleetCache); else undefined (parse it). */
export function cachedFleet(stateDir: string, configPath: string, build = BUILD_ID): LoadedFleet | undefined {
  if (build === undefined || launchCacheOff()) return undefined;
  const path = join(stateDir, FILE);
  try {
    if (!ownedPrivately(path) || !ownedPrivately(stateDir)) return undefined;
    const cache = JSON.parse(readFileSync(path, "utf8")) as FleetCache;
    if (!isCache(cache) || cache.build !== build || cache.configPath !== configPath) return undefined;
    return stampIsCurrent(cache) ? loadedFrom(cache.fleet) : undefined;
  } catch {
    // Missing, damaged, or a YAML file gone since the stamp was checked: the fleet is parsed.
    return undefined;
  }
}

/** The loaded fleet a kept one stands for, with this process's environment. Throws if a YAML file is unreadable. */
export function loadedFrom(kept: KeptFleet, env: NodeJS.ProcessEnv = process.env): LoadedFleet {
  const { sourceFiles, scheduleSources, ...rest } = kept;
  const dotEnvFile = readDotEnv(kept.rootDir);
  return {
    ...rest,
    // As the loader computes them (config/load.ts), from the variables a kept fleet never holds.
    secretValues: envSecretValues({ ...dotEnvFile, ...env }),
    dotEnv: dotEnvBelow(dotEnvFile, env),
    sourceTexts: new Map(sourceFiles.map((file) => [file, readFileSync(file, "utf8")])),
    scheduleSources: new Map(scheduleSources.map(([agent, byName]) => [agent, new Map(byName)])),
  };
}

function isCache(value: unknown): value is FleetCache {
  const c = value as FleetCache;
  return (
    typeof c === "object" &&
    c !== null &&
    c.format === FORMAT &&
    typeof c.build === "string" &&
    typeof c.configPath === "string" &&
    isStamp(c) &&
    typeof c.fleet === "object" &&
    c.fleet !== null &&
    Array.isArray(c.fleet.agents) &&
    Array.isArray(c.fleet.sourceFiles) &&
    c.fleet.sourceFiles.every((f) => typeof f === "string") &&
    Array.isArray(c.fleet.scheduleSources)
  );
}
