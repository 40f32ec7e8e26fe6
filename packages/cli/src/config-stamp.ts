import { statSync } from "node:fs";
import { looksSecretName } from "@herdctl/core/internal/secrets/redactor";

/**
 * What a parse of the fleet read, cheap to check again without parsing: every file that
 * configures the fleet (fleet and agent files, .env, hook scripts, plugin folders, claude_path) and
 * the claude settings files, by mtime and size, and the environment variables the files name.
 * Written by config-stamp-write.ts after a parse; what is kept beside it (status-facts.ts,
 * launch-cache.ts) is used only while `stampIsCurrent`.
 */
export interface ConfigStamp {
  /** [path, mtimeMs, size], or [path, null] for one that did not exist. */
  files: Array<[string, number, number] | [string, null]>;
  /** Each variable the files name: its value, or for a secret-looking name only whether it is set. */
  env: Record<string, string | boolean | null>;
}

export function stampIsCurrent(stamp: ConfigStamp): boolean {
  for (const entry of stamp.files) if (!sameFile(entry)) return false;
  for (const [name, value] of Object.entries(stamp.env)) if (envFact(name) !== value) return false;
  return true;
}

export function isStamp(value: unknown): value is ConfigStamp {
  const s = value as ConfigStamp;
  return (
    typeof s === "object" &&
    s !== null &&
    Array.isArray(s.files) &&
    s.files.every((e) => Array.isArray(e) && typeof e[0] === "string") &&
    typeof s.env === "object" &&
    s.env !== null
  );
}

export function envFact(name: string): string | boolean | null {
  const value = process.env[name];
  if (looksSecretName(name)) return value !== undefined && value !== "";
  return value ?? null;
}

function sameFile([path, mtimeMs, size]: ConfigStamp["files"][number]): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (mtimeMs === null) return stat === undefined;
  return stat !== undefined && stat.mtimeMs === mtimeMs && stat.size === size;
}
