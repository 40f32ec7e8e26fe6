import { constants } from "node:fs";
import { type FileHandle, lstat, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";

/**
 * One image build at a time across processes: a lock file created exclusively, naming its holder
 * (host, pid and the process's start time). A waiter takes the lock over at once when the holder
 * is a process of this host that is gone (killed mid-build, say), instead of waiting out the
 * age limit; a holder on another host (a shared home), or a lock without an owner (a directory
 * left by an older herdctl), is judged by age alone, as is a live holder past the age limit.
 */

/** A build takes minutes (debootstrap ~80 s); a lock this old on another host is abandoned. */
export const STALE_BUILD_LOCK_MS = 20 * 60 * 1000;
const POLL_MS = 500;
const GUARD_STALE_MS = 10_000;

interface LockOwner {
  host: string;
  pid: number;
  /** /proc's start time of the pid, so a reused pid is not taken for the holder. */
  started?: string;
}

export interface BuildLockOptions {
  /** Said once when the lock is held by someone else and we wait. */
  onWait?: (line: string) => void;
  /** Said when a dead holder's lock is taken over. */
  onTakeOver?: (line: string) => void;
  staleMs?: number;
}

export async function withBuildLock<T>(
  lock: string,
  options: BuildLockOptions,
  task: () => Promise<T>,
): Promise<T> {
  const mine = JSON.stringify(await ownerOf(process.pid));
  let announced = false;
  for (;;) {
    try {
      await writeFile(lock, mine, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const verdict = await judge(lock, options.staleMs ?? STALE_BUILD_LOCK_MS);
    if (verdict.kind === "gone") continue;
    if (verdict.kind === "abandoned") {
      if (await takeOver(lock, verdict.content)) options.onTakeOver?.(`${verdict.why}: taking over ${lock}`);
      else await new Promise((resolve) => setTimeout(resolve, POLL_MS / 10));
      continue;
    }
    if (!announced)
      options.onWait?.(`waiting for another image build to finish (${verdict.holder}; ${lock})`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  try {
    return await task();
  } finally {
    // Only our own: a holder judged dead while we were frozen may have been replaced.
    if ((await snapshot(lock))?.content === mine) await rm(lock, { force: true });
  }
}

type Verdict =
  | { kind: "gone" }
  | { kind: "held"; holder: string }
  | { kind: "abandoned"; content: string; why: string };

async function judge(lock: string, staleMs: number): Promise<Verdict> {
  const seen = await snapshot(lock);
  if (!seen) return { kind: "gone" };
  const { content, mtimeMs, isFile } = seen;
  const age = Date.now() - mtimeMs;
  const owner = isFile ? parseOwner(content) : undefined;
  if (owner && owner.host === hostname()) {
    const alive = await ownerOf(owner.pid).catch(() => undefined);
    if (!alive || (owner.started && alive.started && alive.started !== owner.started)) {
      return {
        kind: "abandoned",
        content,
        why: `the build holding it (pid ${owner.pid}) is no longer running`,
      };
    }
    // Still the age limit: a lock written by anyone who can write the file (an agent running as
    // this user, say) naming a process that never ends must not hold every build forever.
    if (age <= staleMs) return { kind: "held", holder: `pid ${owner.pid}` };
  }
  if (age > staleMs) {
    return { kind: "abandoned", content, why: `it is ${Math.round(age / 60_000)} minutes old` };
  }
  return { kind: "held", holder: owner ? `pid ${owner.pid} on ${owner.host}` : "an unnamed holder" };
}

/**
 * Removes the judged lock under a second, short-lived lock, so of several waiters that judged the
 * same dead holder only one removes it, and none removes a lock taken meanwhile: while the guard
 * is held, the lock can change only by being created anew, which fails while it exists.
 */
async function takeOver(lock: string, judged: string): Promise<boolean> {
  const guard = `${lock}.takeover`;
  try {
    await writeFile(guard, String(process.pid), { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // A take-over lasts milliseconds; a guard this old was left by a waiter that died in one.
    const age = Date.now() - ((await stat(guard).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (age > GUARD_STALE_MS) await rm(guard, { force: true });
    return false;
  }
  try {
    if ((await snapshot(lock))?.content !== judged) return false;
    await rm(lock, { recursive: true, force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

/** An owner is a line of JSON; more than this is not one of ours and is not read. */
const MAX_LOCK_BYTES = 4096;

/**
 * What the lock is now, or undefined when it is gone: its owner text and its age. Anything that
 * can write the file may have put something else there (an agent running as this user), so it is
 * opened without following a symlink and without waiting on a FIFO, and only its first bytes are
 * read; what is not a regular file (an older herdctl's directory, a link) stands for itself by
 * its mtime and is judged by age.
 */
async function snapshot(
  lock: string,
): Promise<{ content: string; mtimeMs: number; isFile: boolean } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(lock, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    const info = await lstat(lock).catch(() => undefined);
    return info && { content: `not a file ${info.mtimeMs}`, mtimeMs: info.mtimeMs, isFile: false };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      return { content: `not a file ${info.mtimeMs}`, mtimeMs: info.mtimeMs, isFile: false };
    const buffer = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_LOCK_BYTES, 0);
    return { content: buffer.toString("utf8", 0, bytesRead), mtimeMs: info.mtimeMs, isFile: true };
  } finally {
    await handle.close();
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.host !== "string" || !Number.isSafeInteger(value.pid) || (value.pid ?? 0) <= 0)
      return undefined;
    return {
      host: value.host,
      pid: value.pid as number,
      started: typeof value.started === "string" ? value.started : undefined,
    };
  } catch {
    return undefined;
  }
}

/** The pid as a holder: its host and, where /proc has it, its start time; throws if it is gone. */
async function ownerOf(pid: number): Promise<LockOwner> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, another user's.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") throw error;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // Fields 3 (state) and 22 (start time), counted after the command name's closing parenthesis
  // (the name may hold spaces). A zombie answers kill(0) but builds nothing.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields?.[0] === "Z" || fields?.[0] === "X") throw Object.assign(new Error("exited"), { code: "ESRCH" });
  return { host: hostname(), pid, started: fields?.[19] };
}
