import type { LoadedFleet } from "../config/index.js";
import { Redactor } from "../secrets/redactor.js";
import { nodeCrypto } from "../util/lazy-crypto.js";

/**
 * The running config as the audit trail compares it: the fleet settings and each agent by name,
 * with every known secret value redacted first, so neither the hash nor the changed keys can
 * carry a secret (a rotated key is therefore not a config change here).
 */
export function auditedConfig(loaded: LoadedFleet): unknown {
  const view = {
    fleet: loaded.fleet,
    agents: Object.fromEntries(loaded.agents.map((agent) => [agent.name, agent])),
  };
  return new Redactor(loaded.secretValues).redactDeep(view);
}

/** JSON with object keys sorted, so equal configs give equal text whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function configHash(config: unknown): string {
  return nodeCrypto().createHash("sha256").update(stableJson(config)).digest("hex");
}

const MAX_KEYS = 50;

/**
 * Dotted paths of the leaves that differ between two configs (added, removed or changed), sorted;
 * at most 50, then "… and N more". Arrays compare whole, at their own path.
 */
export function changedKeys(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    const isObject = (v: unknown): v is Record<string, unknown> =>
      v !== null && typeof v === "object" && !Array.isArray(v);
    if (isObject(a) && isObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of [...keys].sort()) walk(a[key], b[key], path ? `${path}.${key}` : key);
      return;
    }
    if (stableJson(a) !== stableJson(b)) out.push(path || "(whole config)");
  };
  walk(before, after, "");
  return out.length > MAX_KEYS ? [...out.slice(0, MAX_KEYS), `… and ${out.length - MAX_KEYS} more`] : out;
}
