import { chmodSync, type Dirent, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { DiskFullError, isDiskFull } from "./errors.js";

/**
 * The state directory holds prompts, webhook payloads and everything claude printed: only its
 * owner may read it. Folders are 0700 and files 0600; a docker-sessions/<agent> folder belongs to
 * the container's user instead (see ContainerManager) but is 0700 too.
 */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

const STATE_FILES = ["herdctl.db", "herdctl.db-wal", "herdctl.db-shm", "herdctl.lock"];

/** Creates `dir` (and missing parents of it) private to its owner. */
export function makePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  } catch (error) {
    throw isDiskFull(error) ? new DiskFullError(dir, { cause: error }) : error;
  }
}

/**
 * Removes group and other access from the state a herdctl before this one left readable. Returns
 * one line naming what changed, or undefined when everything was already private.
 */
export function tightenState(
  stateDir: string,
  dirs: { jobs: string; dockerSessions: string },
): string | undefined {
  const changed: string[] = [];
  let outputs = 0;
  const tighten = (path: string, mode: number): boolean => {
    let current: number;
    try {
      current = statSync(path).mode & 0o777;
    } catch {
      return false;
    }
    if ((current & 0o077) === 0) return false;
    chmodSync(path, current & mode);
    return true;
  };
  const name = (path: string) => relative(stateDir, path) || ".";
  if (tighten(stateDir, PRIVATE_DIR)) changed.push(`${name(stateDir)}/`);
  for (const file of STATE_FILES) if (tighten(join(stateDir, file), PRIVATE_FILE)) changed.push(file);
  if (tighten(dirs.jobs, PRIVATE_DIR)) changed.push(`${name(dirs.jobs)}/`);
  for (const entry of entries(dirs.jobs)) {
    if (entry.isFile() && entry.name.endsWith(".jsonl") && tighten(join(dirs.jobs, entry.name), PRIVATE_FILE))
      outputs += 1;
  }
  if (outputs > 0) changed.push(`${outputs} job output file${outputs === 1 ? "" : "s"}`);
  if (tighten(dirs.dockerSessions, PRIVATE_DIR)) changed.push(`${name(dirs.dockerSessions)}/`);
  for (const entry of entries(dirs.dockerSessions)) {
    const path = join(dirs.dockerSessions, entry.name);
    if (entry.isDirectory() && tighten(path, PRIVATE_DIR)) changed.push(`${name(path)}/`);
  }
  if (changed.length === 0) return undefined;
  return (
    `made ${stateDir} private to its owner (other local users could read prompts and output): ` +
    `removed group and other access from ${changed.join(", ")}`
  );
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
