import { realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/** What no job may touch: the fleet's configuration and herdctl's own state. */
export interface ConfigGuard {
  /** LoadedFleet.protectedPaths: fleet and agent files, .env, claude_path, hook scripts, plugin folders. */
  readonly protectedPaths: readonly string[];
  /** The fleet's .herdctl folder: job records, the web token, the control socket. */
  readonly stateDir: string;
}

/** Files in a working directory through which claude itself would run commands or servers. */
const CLAUDE_PROJECT_CONFIG = [".claude/settings.json", ".claude/settings.local.json", ".mcp.json"];

/**
 * claude reads a rule's path as a gitignore-style pattern, so a folder named `a*b` or `[x]` would
 * match other paths and not itself; a backslash makes each such character literal.
 */
function literal(path: string): string {
  return path.replace(/[\\*?[\]{}!]/g, (c) => `\\${c}`);
}

/** A protected folder (a plugin) covers everything in it. */
export function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

/**
 * claude permission rules that keep a host agent's file tools off the configuration that governs
 * it and off herdctl's state (where the dashboard token lives). `//` starts an absolute path in
 * claude's rule syntax; Edit rules cover every file-writing tool. Deny rules hold in every
 * permission mode. They do not bind Bash: an agent allowed to run commands has the operator's
 * privileges, which docs/security.md says plainly.
 */
export function hostGuardRules(guard: ConfigGuard | undefined, workingDirectory: string): string[] {
  if (!guard) return [];
  const files = new Set<string>();
  const addFile = (path: string): void => {
    files.add(path);
    try {
      files.add(realpathSync(path));
    } catch {
      // Not there yet (.env): the literal path is the one a tool would use.
    }
  };
  for (const path of guard.protectedPaths) addFile(path);
  for (const path of CLAUDE_PROJECT_CONFIG) addFile(join(workingDirectory, path));
  const rules = [...files].map((path) =>
    isFolder(path) ? `Edit(/${literal(path)}/**)` : `Edit(/${literal(path)})`,
  );
  const stateDirs = new Set([guard.stateDir]);
  try {
    stateDirs.add(realpathSync(guard.stateDir));
  } catch {}
  for (const dir of stateDirs) rules.push(`Edit(/${literal(dir)}/**)`, `Read(/${literal(dir)}/**)`);
  return rules;
}
