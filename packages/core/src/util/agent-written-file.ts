/**
 * Opening, for reading, a file a job wrote in its working directory (its metadata, its memory
 * notes). The agent controls what is there, so nothing is trusted by name: a symlink is refused
 * rather than followed, a FIFO cannot hang the open, and the file actually opened must lie inside
 * the working directory (a directory on the way may itself be a symlink).
 */
import { type BigIntStats, constants } from "node:fs";
import { type FileHandle, open, readlink, realpath } from "node:fs/promises";
import { isAbsolute, relative, sep } from "node:path";

export type AgentFileOpen =
  | { readonly kind: "absent" }
  | { readonly kind: "refused"; readonly reason: string }
  /** The caller reads it and closes the handle. */
  | { readonly kind: "open"; readonly handle: FileHandle; readonly stats: BigIntStats };

export async function openAgentWrittenFile(workingDirectory: string, path: string): Promise<AgentFileOpen> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "absent" };
    if (code === "ELOOP") return refused("it is a symbolic link; write a regular file");
    return refused(`it could not be opened (${code ?? "unknown error"})`);
  }
  const refuse = async (reason: string): Promise<AgentFileOpen> => {
    await handle.close().catch(() => undefined);
    return refused(reason);
  };
  try {
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) return refuse("it is not a regular file");
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    const root = await realpath(workingDirectory).catch(() => undefined);
    if (opened === undefined || root === undefined || !isWithin(root, opened))
      return refuse("it lies outside the working directory");
    return { kind: "open", handle, stats };
  } catch (error) {
    return refuse(`it could not be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  }
}

/** `path` is strictly inside `root` (both absolute, already resolved). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function refused(reason: string): AgentFileOpen {
  return { kind: "refused", reason };
}
