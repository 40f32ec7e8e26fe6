import { readFileSync, statSync } from "node:fs";
import type { LoadedFleet } from "@herdctl/core";
import { settingsFiles } from "@herdctl/core/internal/config/setting-sources";
import { type ConfigStamp, envFact } from "./config-stamp.js";

/**
 * The stamp of `fleet`, loaded at `loadedAt` (ms since the epoch); undefined when a file changed
 * while it was read or just before (SETTLED_MS), so nothing is kept from a parse that may have
 * read a half-written file.
 */
export function configStamp(fleet: LoadedFleet, loadedAt: number): ConfigStamp | undefined {
  const paths = new Set(fleet.protectedPaths);
  for (const agent of fleet.agents)
    for (const file of Object.values(settingsFiles(agent.working_directory, process.env))) paths.add(file);
  const files: ConfigStamp["files"] = [];
  const env: ConfigStamp["env"] = { HOME: envFact("HOME"), CLAUDE_CONFIG_DIR: envFact("CLAUDE_CONFIG_DIR") };
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) {
      files.push([path, null]);
      continue;
    }
    if (stat.mtimeMs >= loadedAt - SETTLED_MS) return undefined;
    files.push([path, stat.mtimeMs, stat.size]);
    if (stat.isFile() && /\.ya?ml$/.test(path))
      for (const name of namedVariables(readFileSync(path, "utf8"))) env[name] = envFact(name);
  }
  return { files, env };
}

// File times come from a coarse clock, and a file written just before the parse may have been
// read half-written; one changed this close to the parse leaves no stamp (the next command parses).
const SETTLED_MS = 2000;

/** `${NAME}` references, and names given as the value of a `…_env:` key (secret_env, auth_token_env). */
function namedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1] as string);
  for (const m of text.matchAll(/_env\s*:\s*["']?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1] as string);
  return names;
}
