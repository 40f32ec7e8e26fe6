import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Where the credential proxy's unix socket lives. Containers mount the directory, not the socket,
 * and a bind mount keeps pointing at the directory it was made from. So a persistent container
 * made before a restart reaches the next proxy only if the next proxy listens in the same
 * directory: one per state directory, kept across restarts, in a private per-user parent.
 */
export interface SocketDir {
  dir: string;
  /** Whether the directory outlives the proxy (only its socket is removed on close). */
  stable: boolean;
}

/**
 * The stable directory for `key` (a state directory), or a fresh private one when the stable one
 * cannot be trusted (the parent is not ours alone) or another live proxy listens there (a second
 * herdctl process on the same state, e.g. a one-off `trigger` beside a test's daemon).
 */
export async function claimSocketDir(key: string | undefined, socketName: string): Promise<SocketDir> {
  if (key !== undefined) {
    const dir = stableDir(key);
    if (dir && !(await listening(join(dir, socketName)))) {
      // A socket left by a process that died: nobody answers on it, so it is ours to replace.
      if (existsSync(join(dir, socketName))) unlinkSync(join(dir, socketName));
      return { dir, stable: true };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "herdctl-proxy-"));
  chmodSync(dir, 0o755);
  return { dir, stable: false };
}

function stableDir(key: string): string | undefined {
  const uid = process.getuid?.() ?? 0;
  // Other local users are not trusted: they could pre-create a world-writable /tmp path and put
  // their own socket where containers look. The parent must be a real directory, ours, 0700.
  const parent = join(tmpdir(), `herdctl-proxy-${uid}`);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  if (!ownedPrivate(parent, 0o077)) return undefined;
  const dir = join(parent, createHash("sha256").update(key).digest("hex").slice(0, 16));
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // Containers run as another user and must reach the socket; the per-job token is the lock.
  chmodSync(dir, 0o755);
  return ownedPrivate(dir, 0o022) ? dir : undefined;
}

function ownedPrivate(path: string, forbidden: number): boolean {
  const stat = lstatSync(path);
  return stat.isDirectory() && stat.uid === (process.getuid?.() ?? stat.uid) && (stat.mode & forbidden) === 0;
}

function listening(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
