import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/**
 * Shell start-up files left out of the tests' home. claude's Bash tool takes a snapshot of the
 * user's shell at its first call by sourcing `~/.bashrc` itself (whatever SHELL says); on this
 * machine that file runs `pyenv init -` and `pyenv virtualenv-init -`: ~0.75 CPU-s and 0.5 s more
 * for every claude process that runs a Bash command, measured against an empty home.
 */
const SHELL_FILES = new Set([".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile"]);

/**
 * A home for the tests: every entry of the real one (npm's cache and rc, git's identity, the
 * image cache) as a link to it, except the shell start-up files. Named for the real home and its
 * entries, so the workers of a run share one and a new entry in the real home makes a new one.
 * Built beside its final name and renamed into place: workers starting at once never see half of it.
 */
export function testHome(realHome: string): string {
  // The cache is always a link: a home without one yet would otherwise get a cache of its own,
  // and the image's root filesystem built into it would be lost to the next run's home.
  try {
    mkdirSync(join(realHome, ".cache"), { recursive: true });
  } catch {
    // A home we cannot write to: whatever cache it has is linked below.
  }
  let entries: string[];
  try {
    entries = readdirSync(realHome)
      .filter((name) => !SHELL_FILES.has(name))
      .sort();
  } catch {
    return realHome; // No readable home: nothing to leave out.
  }
  const key = createHash("sha256").update(realHome).update("\0").update(entries.join("\0")).digest("hex");
  const home = join(tmpdir(), `herdctl-test-home-${userInfo().uid}-${key.slice(0, 16)}`);
  if (existsSync(home)) return home;
  const building = `${home}.${process.pid}`;
  try {
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { mode: 0o700 });
    for (const name of entries) symlinkSync(join(realHome, name), join(building, name));
    renameSync(building, home);
  } catch {
    // Another worker built it first: the rename found it there.
    rmSync(building, { recursive: true, force: true });
  }
  return existsSync(home) ? home : realHome;
}
