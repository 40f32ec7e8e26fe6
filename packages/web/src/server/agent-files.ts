import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, sep } from "node:path";
import { apiError, FleetError, type FleetManager } from "@herdctl/core/internal";
import type { Hono } from "hono";

/** The most of a file the dashboard shows; the rest is cut, so a huge log cannot fill memory. */
export const AGENT_FILE_MAX_BYTES = 1024 * 1024;
const MAX_PATH_LENGTH = 4096;

export interface AgentFile {
  /** As asked for, relative to the working directory. */
  path: string;
  size: number;
  /** null when the file holds NUL bytes: shown as binary, not as text. */
  text: string | null;
  truncated: boolean;
}

export interface FileScope {
  /** The agent's working directory. */
  root: string;
  /** Files and folders never shown, even inside the root: the fleet's configuration and state. */
  hidden: readonly string[];
  maxBytes?: number;
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * Reads a file an agent wrote, for a reader who may see only its working directory: a relative
 * path with no `..`, resolved through every link, must land on a regular file inside the root,
 * outside every hidden path, and with no other name (hard link). Anything else is undefined, whatever the reason, so a refusal tells
 * nothing about what lies outside.
 */
export function readAgentFile(scope: FileScope, rel: string): AgentFile | undefined {
  if (rel === "" || rel.length > MAX_PATH_LENGTH || rel.includes("\0") || isAbsolute(rel)) return undefined;
  if (rel.split(/[\\/]/).includes("..")) return undefined;
  const root = real(scope.root);
  if (!root) return undefined;
  const target = real(join(root, rel));
  if (!target || target === root || !within(target, root)) return undefined;
  for (const hidden of scope.hidden) {
    if (within(target, hidden) || within(target, real(hidden) ?? hidden)) return undefined;
  }
  let fd: number;
  try {
    // No link at the last step and no waiting on a FIFO; the checks above ran on this same path.
    fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    // A folder on the way swapped for a link after the checks would open another file: refuse it.
    const checked = statSync(target, { throwIfNoEntry: false });
    if (!stat.isFile() || !checked || checked.ino !== stat.ino || checked.dev !== stat.dev) return undefined;
    // A hard link has no way out to follow: it could be a second name of the fleet's .env or state.
    if (stat.nlink > 1) return undefined;
    const max = scope.maxBytes ?? AGENT_FILE_MAX_BYTES;
    const buffer = Buffer.alloc(Math.min(stat.size, max));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    const bytes = buffer.subarray(0, read);
    return {
      path: rel,
      size: stat.size,
      text: bytes.includes(0) ? null : bytes.toString("utf8"),
      truncated: stat.size > read,
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * `GET /api/agents/:name/files?path=<relative>`: files an agent wrote, read-only, for the
 * dashboard's chat. Served by the web server only: the control socket's users already have the
 * filesystem, and browser-reachable reads stay behind the web's login and origin checks.
 */
export function mountAgentFiles(app: Hono, fleet: FleetManager): void {
  app.get("/api/agents/:name/files", (c) => {
    const name = c.req.param("name");
    let root: string;
    try {
      root = fleet.agent(name).working_directory;
    } catch (error) {
      if (error instanceof FleetError) return apiError(c, 404, error.code, error.message);
      throw error;
    }
    const rel = c.req.query("path");
    if (rel === undefined)
      return apiError(c, 400, "BAD_REQUEST", "add ?path=<file relative to the agent's working directory>");
    const file = readAgentFile({ root, hidden: [...fleet.fleet.protectedPaths, fleet.state.stateDir] }, rel);
    if (!file)
      return apiError(
        c,
        404,
        "FILE_NOT_FOUND",
        `no file ${JSON.stringify(rel.slice(0, 200))} to show in ${name}'s working directory; give a path relative to it (no "..", no links out; the fleet's configuration and state are never shown)`,
      );
    return c.json({ file });
  });
}
