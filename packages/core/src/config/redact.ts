import type { LoadedFleet } from "./types.js";

export const REDACTED = "[redacted]";

// Keys that hold a credential. Keys ending in `_env` hold the NAME of a variable, not its value.
const SECRET_KEY = /key|token|secret|password|passwd|credential|authorization|cookie/i;

export function looksSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/_env$/i.test(key);
}

/**
 * A copy of the loaded fleet that is safe to print (`herdctl config show`): values that came from
 * secret-looking environment variables and values under secret-looking keys are replaced.
 */
export function redactConfig(fleet: LoadedFleet): unknown {
  const view = structuredClone({
    configPath: fleet.configPath,
    fleet: fleet.fleet,
    agents: fleet.agents,
  }) as Record<string, unknown>;
  for (const path of fleet.secretPaths) redactPath(view, path.split("."));
  return redactKeys(view, false);
}

function redactPath(root: Record<string, unknown>, path: string[]): void {
  let node: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") return;
    node = (node as Record<string, unknown>)[segment];
  }
  const last = path[path.length - 1]!;
  if (node !== null && typeof node === "object" && last in node)
    (node as Record<string, unknown>)[last] = REDACTED;
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
