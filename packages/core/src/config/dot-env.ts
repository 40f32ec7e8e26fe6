import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";

/**
 * The `.env` beside the fleet file, parsed; empty when there is none. A module of its own so that
 * what rebuilds a loaded fleet without parsing it (the CLI's fleet cache) reads it as the loader does.
 */
export function readDotEnv(rootDir: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(join(rootDir, ".env"), "utf8");
  } catch {
    return {};
  }
  const parsed = parseEnv(text);
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The `.env` variables the environment does not already set: what `LoadedFleet.dotEnv` holds. */
export function dotEnvBelow(
  dotEnvFile: Record<string, string>,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  return Object.fromEntries(Object.entries(dotEnvFile).filter(([k]) => env[k] === undefined));
}
