import { envSecretValues, REDACTED, Redactor } from "../secrets/redactor.js";
import { pgUrlSecrets, showPgUrl } from "../state/pg/url.js";
import type { Segment } from "./source.js";
import type { LoadedFleet, ResolvedAgent, ResolvedFleet } from "./types.js";
import { valueAtPath } from "./written.js";

export { REDACTED };

// Keys that hold a credential. Keys ending in `_env` hold the NAME of a variable, not its value.
const SECRET_KEY = /key|token|secret|password|passwd|credential|authorization|cookie/i;

export function looksSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/_env$/i.test(key);
}

/**
 * A copy of the loaded fleet that is safe to print (`herdctl config show`). Three nets, because
 * each misses something the others catch: the paths of values interpolated from secret-named
 * variables (short secrets the value net ignores), values under secret-looking keys (literal
 * tokens), and every known secret value wherever it landed (inside a longer string).
 */
export function redactConfig(fleet: LoadedFleet): unknown {
  const view = structuredClone({
    configPath: fleet.configPath,
    fleet: fleet.fleet,
    agents: fleet.agents,
  }) as Record<string, unknown>;
  for (const path of fleet.secretPaths) redactPath(view, path);
  const state = (view.fleet as { state?: { url?: unknown } } | undefined)?.state;
  if (typeof state?.url === "string") state.url = showPgUrl(state.url);
  return new Redactor(fleet.secretValues).redactDeep(redactKeys(view, false));
}

/**
 * The secret values a fleet knows of: secret-named variables of the environment it was loaded
 * with (including .env), values interpolated from them, and values written under secret-looking
 * keys. Job output and records are redacted with these too.
 */
export function secretValuesOf(
  loaded: { fleet: ResolvedFleet; agents: ResolvedAgent[]; secretPaths: Segment[][] },
  env: NodeJS.ProcessEnv,
): string[] {
  const values = new Set(envSecretValues(env));
  const view = { fleet: loaded.fleet, agents: loaded.agents };
  for (const path of loaded.secretPaths) {
    const value = valueAtPath(view, path);
    if (typeof value === "string" && value !== "") values.add(value);
  }
  collectUnderSecretKeys(view, false, values);
  // The state database's URL holds its password whatever the variable it came from is called.
  for (const secret of pgUrlSecrets(loaded.fleet.state?.url)) values.add(secret);
  return [...values];
}

function redactPath(root: Record<string, unknown>, path: readonly Segment[]): void {
  const parent = valueAtPath(root, path.slice(0, -1));
  const last = String(path[path.length - 1]);
  if (parent !== null && typeof parent === "object" && Object.hasOwn(parent, last))
    (parent as Record<string, unknown>)[last] = REDACTED;
}

function redactKeys(value: unknown, inSecret: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => redactKeys(item, inSecret));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, redactKeys(v, inSecret || looksSecretKey(key))]),
    );
  }
  if (inSecret && (typeof value === "string" || typeof value === "number") && value !== "") return REDACTED;
  return value;
}

function collectUnderSecretKeys(value: unknown, inSecret: boolean, out: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) collectUnderSecretKeys(item, inSecret, out);
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value))
      collectUnderSecretKeys(v, inSecret || looksSecretKey(key), out);
  } else if (inSecret && typeof value === "string" && value !== "") out.add(value);
}
