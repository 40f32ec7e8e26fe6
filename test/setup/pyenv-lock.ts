import { rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * This machine's ~/.bashrc runs `pyenv init -`, whose `pyenv rehash` takes a lock file in
 * ~/.pyenv/shims. claude's Bash tool sources that file, and a test that kills a job mid-command can
 * kill a rehash holding the lock; every later shell then waits on it, so every later Bash tool call
 * hangs until its timeout, in whatever test file comes next. A rehash holds the lock for
 * milliseconds: one older than a minute is such a leftover, and is removed before each file.
 */
export function clearStalePyenvLock(now = Date.now()): void {
  const lock = join(homedir(), ".pyenv", "shims", ".pyenv-shim");
  try {
    if (now - statSync(lock).mtimeMs > 60_000) rmSync(lock, { force: true });
  } catch {
    // No pyenv, or no lock: nothing to clear.
  }
}
