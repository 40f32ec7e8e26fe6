import { createHash, randomBytes } from "node:crypto";
import {
  chownSync,
  closeSync,
  constants,
  fchownSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { TRANSCRIPTS_TABLE } from "../cluster/central-schema.js";
import { assertAgentName, assertSessionId } from "../state/ids.js";
import { PRIVATE_DIR, PRIVATE_FILE } from "../state/permissions.js";
import type { TranscriptPlace } from "./place.js";
import { projectDirs, projectSlug } from "./transcripts.js";

/**
 * Sessions that travel (issue #17): on PostgreSQL, claude's transcript of a session is stored while a
 * job runs (live-store.ts) and after it, keyed by (agent, session id), and written back before a resume on a machine whose copy
 * is missing or shorter. A resume needs exactly `<config dir>/projects/<slug>/<session>.jsonl`:
 * claude rebuilds the conversation from that file alone (its other folders, todos and file
 * history, are not read by `--resume`).
 *
 * The content is agent-written, so it is untrusted: the path is always built here from the
 * agent's place and the session id the job asked for (never from the row), no link is followed on
 * the way, the file is written under a temporary name and renamed into place, and a row whose size
 * or hash does not match its content is refused.
 */
export const STORED_TRANSCRIPT_LIMIT = 32 * 1024 * 1024;

/** A pg.Pool or client: what this module needs of one. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

export type StoreResult =
  | { readonly kind: "stored"; readonly bytes: number }
  | { readonly kind: "unchanged"; readonly bytes: number }
  | { readonly kind: "missing" }
  | { readonly kind: "too-large"; readonly bytes: number; readonly limit: number };

export type RestoreResult =
  | { readonly kind: "restored"; readonly bytes: number; readonly path: string }
  | { readonly kind: "current" }
  | { readonly kind: "none" }
  | { readonly kind: "refused"; readonly reason: string };

export class TranscriptRefusedError extends Error {
  readonly code = "SESSION_TRANSCRIPT_REFUSED";
}

/** The folder claude reads `cwd`'s sessions from, checked to be real folders (no link) all the way. */
function sessionFolder(
  place: TranscriptPlace,
  create: boolean,
): { dir: string; created: string[] } | undefined {
  const slug = projectSlug(place.cwd);
  // Past 200 characters claude adds a hash of its own to the name: only an existing folder will do.
  const name = slug.length <= 200 ? slug : projectDirs(place.configDir, place.cwd)[0]?.split("/").pop();
  if (name === undefined) return undefined;
  const created: string[] = [];
  if (create && !exists(place.configDir)) {
    mkdirSync(place.configDir, { recursive: true, mode: PRIVATE_DIR });
    created.push(place.configDir);
  }
  let dir = place.configDir;
  for (const part of ["projects", name]) {
    dir = join(dir, part);
    if (create) {
      try {
        mkdirSync(dir, { mode: PRIVATE_DIR });
        created.push(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
    }
    let kind: string;
    try {
      const stat = lstatSync(dir);
      kind = stat.isDirectory() ? "dir" : stat.isSymbolicLink() ? "a link" : "not a folder";
    } catch {
      return undefined;
    }
    if (kind !== "dir")
      throw new TranscriptRefusedError(
        `${dir} is ${kind}; herdctl writes transcripts only into real folders. Remove it (claude recreates it)`,
      );
  }
  return { dir, created };
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The local transcript's size, or undefined when there is none (a link or folder counts as none). */
function localSize(place: TranscriptPlace, sessionId: string): number | undefined {
  const folder = sessionFolder(place, false);
  if (!folder) return undefined;
  try {
    const stat = lstatSync(join(folder.dir, `${sessionId}.jsonl`));
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

export interface StoreOptions {
  /** The size last stored from here: a file still that size is not read again ("unchanged"). */
  readonly unlessBytes?: number;
}

/**
 * Stores the session's transcript as this machine has it, never over a longer stored copy: a
 * transcript only grows, so a shorter one is older, e.g. from a worker whose job was already
 * resumed elsewhere (it lost its lease) and that still uploads mid-job or at the job's end.
 * Never reads through a link.
 */
export async function storeTranscript(
  db: Queryable,
  agent: string,
  sessionId: string,
  place: TranscriptPlace,
  limit = STORED_TRANSCRIPT_LIMIT,
  options: StoreOptions = {},
): Promise<StoreResult> {
  assertAgentName(agent);
  assertSessionId(sessionId);
  let folder: ReturnType<typeof sessionFolder>;
  try {
    folder = sessionFolder(place, false);
  } catch (error) {
    // A link where claude's folder should be: nothing is read through it.
    if (error instanceof TranscriptRefusedError) return { kind: "missing" };
    throw error;
  }
  if (!folder) return { kind: "missing" };
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(join(folder.dir, `${sessionId}.jsonl`), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return { kind: "missing" };
  }
  let content: Buffer;
  try {
    const stat = await file.stat();
    if (!stat.isFile()) return { kind: "missing" };
    if (stat.size === options.unlessBytes) return { kind: "unchanged", bytes: stat.size };
    if (stat.size > limit) return { kind: "too-large", bytes: stat.size, limit };
    content = await file.readFile();
  } finally {
    await file.close();
  }
  // It may have grown between the stat and the read.
  if (content.length > limit) return { kind: "too-large", bytes: content.length, limit };
  await db.query(
    `insert into ${TRANSCRIPTS_TABLE} (agent, session_id, bytes, sha256, content) values ($1, $2, $3, $4, $5)
     on conflict (agent, session_id) do update
       set bytes = excluded.bytes, sha256 = excluded.sha256, content = excluded.content, stored_at = clock_timestamp()
       where ${TRANSCRIPTS_TABLE}.bytes <= excluded.bytes`,
    [agent, sessionId, content.length, sha256(content), content],
  );
  return { kind: "stored", bytes: content.length };
}

/**
 * Writes the stored transcript back when this machine has none or a shorter one (a transcript only
 * grows: each resume appends to it). A local copy at least as long is kept as it is.
 */
export async function restoreTranscript(
  db: Queryable,
  agent: string,
  sessionId: string,
  place: TranscriptPlace,
  limit = STORED_TRANSCRIPT_LIMIT,
): Promise<RestoreResult> {
  assertAgentName(agent);
  assertSessionId(sessionId);
  const { rows } = await db.query<{ bytes: string; n: number }>(
    `select bytes, octet_length(content) as n from ${TRANSCRIPTS_TABLE} where agent = $1 and session_id = $2`,
    [agent, sessionId],
  );
  const row = rows[0];
  if (!row) return { kind: "none" };
  try {
    return await restoreRow(db, agent, sessionId, place, limit, Number(row.bytes), row.n);
  } catch (error) {
    if (error instanceof TranscriptRefusedError) return { kind: "refused", reason: error.message };
    throw error;
  }
}

async function restoreRow(
  db: Queryable,
  agent: string,
  sessionId: string,
  place: TranscriptPlace,
  limit: number,
  claimed: number,
  held: number,
): Promise<RestoreResult> {
  const have = localSize(place, sessionId);
  if (have !== undefined && have >= claimed) return { kind: "current" };
  if (held > limit || claimed > limit)
    return {
      kind: "refused",
      reason: `it is ${Math.max(held, claimed)} bytes, over the ${limit}-byte limit`,
    };
  const fetched = await db.query<{ bytes: string; sha256: string; content: Buffer }>(
    `select bytes, sha256, content from ${TRANSCRIPTS_TABLE} where agent = $1 and session_id = $2`,
    [agent, sessionId],
  );
  const stored = fetched.rows[0];
  if (!stored) return { kind: "none" };
  const content = stored.content;
  if (!Buffer.isBuffer(content) || content.length > limit)
    return { kind: "refused", reason: "its content is not within the limit" };
  if (content.length !== Number(stored.bytes))
    return { kind: "refused", reason: `it says ${stored.bytes} bytes and holds ${content.length}` };
  if (sha256(content) !== stored.sha256)
    return { kind: "refused", reason: "its content does not match its sha256 (changed in the database)" };
  return { kind: "restored", bytes: content.length, path: writeTranscript(place, sessionId, content) };
}

/**
 * Writes `<folder>/<session>.jsonl` atomically: a new file (O_EXCL|O_NOFOLLOW) under a temporary
 * name, owned like the config folder (a Docker agent's runs as uid 1000), renamed over the target.
 * A rename replaces a link at the target instead of following it.
 */
function writeTranscript(place: TranscriptPlace, sessionId: string, content: Buffer): string {
  const folder = sessionFolder(place, true);
  if (!folder)
    throw new TranscriptRefusedError(
      `claude's folder for ${place.cwd} does not exist here and its name cannot be worked out (a path this long gets a hash of claude's own)`,
    );
  const target = join(folder.dir, `${sessionId}.jsonl`);
  if (exists(target) && lstatSync(target).isDirectory())
    throw new TranscriptRefusedError(`${target} is a folder; remove it and resume again`);
  const owner = statSync(place.configDir);
  const chown = process.getuid?.() === 0 && owner.uid !== 0;
  for (const dir of folder.created) if (chown) chownSync(dir, owner.uid, owner.gid);
  const temp = join(folder.dir, `.${sessionId}.${randomBytes(6).toString("hex")}.herdctl-restore`);
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    PRIVATE_FILE,
  );
  try {
    let written = 0;
    while (written < content.length) written += writeSync(fd, content, written);
    if (chown) fchownSync(fd, owner.uid, owner.gid);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  // The folders were checked to be real ones; checked again just before the rename, so one swapped
  // for a link meanwhile is caught (docs/security.md says what is left of that race).
  if (
    realpathSync(folder.dir) !== join(realpathSync(place.configDir), "projects", folder.dir.split("/").pop()!)
  ) {
    rmSync(temp, { force: true });
    throw new TranscriptRefusedError(`${folder.dir} changed into a link while the transcript was written`);
  }
  renameSync(temp, target);
  return target;
}

function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}
