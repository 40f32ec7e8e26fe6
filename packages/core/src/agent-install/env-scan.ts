import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** An environment variable an agent's files refer to as `${NAME}` or `${NAME:-default}`. */
export interface EnvReference {
  name: string;
  /** Files (relative to the agent folder) that mention it. */
  files: string[];
  /** Every mention carries a `:-default`, so an unset variable breaks nothing. */
  hasDefault: boolean;
}

export interface EnvNeed extends EnvReference {
  /** Set (non-empty) in the environment or in the `.env` beside the fleet file. */
  set: boolean;
}

// The syntax herdctl's loader and claude's .mcp.json expand; `$${` is the loader's literal escape.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g;
/** Larger files are data, not configuration; they are not read. */
const MAX_SCANNED_BYTES = 1024 * 1024;

/** The `${VAR}`s in `files` (paths relative to `dir`), by name. Binary files are skipped. */
export async function scanEnvReferences(dir: string, files: readonly string[]): Promise<EnvReference[]> {
  const found = new Map<string, EnvReference>();
  for (const file of files) {
    const data = await readFile(join(dir, file)).catch(() => undefined);
    if (!data || data.length > MAX_SCANNED_BYTES || data.includes(0)) continue;
    for (const match of data.toString("utf8").matchAll(REFERENCE)) {
      const name = match[1];
      if (name === undefined) continue;
      const ref = found.get(name) ?? { name, files: [], hasDefault: true };
      if (!ref.files.includes(file)) ref.files.push(file);
      if (match[2] === undefined) ref.hasDefault = false;
      found.set(name, ref);
    }
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Each reference with whether it is set; `lookup` is the fleet's view (environment, then .env). */
export function envNeeds(
  refs: readonly EnvReference[],
  lookup: (name: string) => string | undefined,
): EnvNeed[] {
  return refs.map((ref) => ({ ...ref, set: Boolean(lookup(ref.name)) }));
}

/** The ones whose absence matters: unset and without a default. */
export function missingEnv(needs: readonly EnvNeed[]): EnvNeed[] {
  return needs.filter((n) => !n.set && !n.hasDefault);
}
