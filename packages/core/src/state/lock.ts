import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { nodeCrypto } from "../util/lazy-crypto.js";
import { DiskFullError, isDiskFull, StateLockedError } from "./errors.js";
import { PRIVATE_FILE } from "./permissions.js";

/** Held by the running daemon; `release()` is idempotent. */
export interface DaemonLock {
  readonly path: string;
  readonly pid: number;
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): number | undefined | "missing" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

/**
 * Writes the pid to a private file and hard-links it into place: the link either fails because
 * the lock exists or publishes a file that already holds the pid, so no reader ever sees an empty
 * lock file.
 */
function tryCreate(path: string, pid: number): boolean {
  const temp = `${path}.${pid}.${nodeCrypto().randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(temp, `${pid}\n`, { flag: "wx", mode: PRIVATE_FILE });
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw isDiskFull(error) ? new DiskFullError(path, { cause: error }) : error;
  } finally {
    unlinkQuietly(temp);
  }
}

/**
 * Moves a stale lock out of the way. Renaming first means two daemons replacing the same stale
 * lock cannot both win: if the file we moved is not the stale one (someone replaced it in the
 * meantime), it is linked back.
 */
function removeStale(path: string, stalePid: number | undefined): void {
  const aside = `${path}.stale.${nodeCrypto().randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = readHolder(aside);
  if (moved !== stalePid && moved !== "missing") {
    try {
      linkSync(aside, path);
    } catch {}
  }
  unlinkQuietly(aside);
}

/**
 * Takes `herdctl.lock` for `pid`. A lock held by a live process raises STATE_LOCKED naming it; a
 * lock left by a dead process (or holding no pid at all) is taken over.
 */
export function acquireLock(path: string, pid: number = process.pid): DaemonLock {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, pid)) return heldLock(path, pid);
    const holder = readHolder(path);
    if (holder === "missing") continue;
    // Our own pid is a live holder only while a lock object of this process still holds it; else
    // it was left by an earlier process that had the same pid.
    const alive = holder === pid ? heldHere.has(path) : holder !== undefined && isProcessAlive(holder);
    if (holder !== undefined && alive) throw new StateLockedError(path, holder);
    removeStale(path, holder);
  }
  const holder = readHolder(path);
  throw new StateLockedError(path, typeof holder === "number" ? holder : 0);
}

/** Lock files held by lock objects of this process. */
const heldHere = new Set<string>();

function heldLock(path: string, pid: number): DaemonLock {
  let released = false;
  if (pid === process.pid) heldHere.add(path);
  return {
    path,
    pid,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      // Never delete a lock someone else has taken over since.
      if (readHolder(path) === pid) unlinkQuietly(path);
    },
  };
}
