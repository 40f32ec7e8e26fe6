/**
 * The memory file: where an agent reads and rewrites its notes during a job. It sits in the
 * working directory (the only place a job, host or Docker, can reach); herdctl writes it before
 * the job and reads it back after. What comes back was written by the agent, so the read is
 * capped, never follows a symlink and never leaves the working directory.
 */
import { constants } from "node:fs";
import { open, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { openAgentWrittenFile } from "../util/agent-written-file.js";

/** Visible and unlikely to clash with a project's own files; herdctl owns it while memory is on. */
export const MEMORY_FILE = "HERDCTL_MEMORY.md";

/** Past this the read stops: a runaway file must not fill the daemon's memory. */
const READ_LIMIT = 4 * 1024 * 1024;

export type MemoryFileRead =
  | { readonly kind: "absent" }
  | { readonly kind: "read"; readonly content: string; readonly bytes: number }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * Writes the notes for the job. The file is given the working directory's owner, so a Docker agent
 * running as the image's user (uid 1000) can rewrite a file root put there. A symlink planted in
 * its place is removed, never written through.
 */
export async function writeMemoryFile(workingDirectory: string, content: string): Promise<void> {
  const path = join(workingDirectory, MEMORY_FILE);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, flags | constants.O_NONBLOCK, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP: a symlink; ENXIO: a FIFO with no reader. Neither is ours to write into.
    if (code !== "ELOOP" && code !== "ENXIO") throw error;
    await unlink(path);
    handle = await open(path, flags | constants.O_EXCL, 0o644);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${MEMORY_FILE} in ${workingDirectory} is not a regular file`);
    await handle.writeFile(content);
    const dir = await stat(workingDirectory);
    if (process.getuid?.() === 0 && (stats.uid !== dir.uid || stats.gid !== dir.gid))
      await handle.chown(dir.uid, dir.gid);
  } finally {
    await handle.close();
  }
}

/** Reads what the job left in the memory file. Never throws. */
export async function readMemoryFile(workingDirectory: string): Promise<MemoryFileRead> {
  const opened = await openAgentWrittenFile(workingDirectory, join(workingDirectory, MEMORY_FILE));
  if (opened.kind !== "open") return opened;
  const { handle } = opened;
  try {
    const buffer = Buffer.alloc(READ_LIMIT + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > READ_LIMIT) return refused(`it is over ${READ_LIMIT} bytes`);
    return { kind: "read", content: buffer.subarray(0, bytesRead).toString("utf8"), bytes: bytesRead };
  } catch (error) {
    return refused(`it could not be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function refused(reason: string): MemoryFileRead {
  return { kind: "refused", reason };
}
