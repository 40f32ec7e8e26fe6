/**
 * Every failure of the state store, with a stable `code` callers can branch on and a message that
 * says what happened and what to do. All wording lives here so tests can assert exact messages.
 */
export type StateErrorCode =
  | "STATE_CORRUPT_DATABASE"
  | "STATE_SCHEMA_TOO_NEW"
  | "STATE_INVALID_ID"
  | "STATE_JOB_NOT_FOUND"
  | "STATE_INVALID_TRANSITION"
  | "STATE_LOCKED"
  | "STATE_DISK_FULL"
  | "STATE_CORRUPT_OUTPUT"
  | "STATE_NOT_OPEN"
  | "STATE_UNREACHABLE";

export class StateError extends Error {
  readonly code: StateErrorCode;

  constructor(code: StateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class CorruptDatabaseError extends StateError {
  readonly path: string;
  readonly detail: string;

  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(
      "STATE_CORRUPT_DATABASE",
      `State database ${path} is corrupt or not an SQLite database (${detail}). ` +
        `herdctl has left it untouched: move it aside (mv "${path}" "${path}.corrupt") to start ` +
        `with empty state, or restore it from a backup.`,
      options,
    );
    this.path = path;
    this.detail = detail;
  }
}

export class SchemaTooNewError extends StateError {
  readonly path: string;
  readonly found: number;
  readonly supported: number;

  constructor(path: string, found: number, supported: number) {
    super(
      "STATE_SCHEMA_TOO_NEW",
      `State database ${path} has schema version ${found}, but this herdctl understands versions ` +
        `up to ${supported}. Upgrade herdctl, or use another state directory (--state).`,
    );
    this.path = path;
    this.found = found;
    this.supported = supported;
  }
}

export type IdKind = "job id" | "agent name" | "session id";

const ID_RULES: Record<IdKind, string> = {
  "job id":
    "expected job-YYYYMMDDHHMMSS-xxxxxx with 6 characters a-z or 0-9 (e.g. job-20250102030405-a1b2c3)",
  "agent name":
    'use letters, digits, "_" and "-", starting with a letter or digit, at most 128 characters, ' +
    "optionally qualified with dots (e.g. team.triager)",
  "session id": "expected a UUID (e.g. 123e4567-e89b-12d3-a456-426614174000)",
};

export class InvalidIdError extends StateError {
  readonly kind: IdKind;
  readonly value: unknown;

  constructor(kind: IdKind, value: unknown) {
    super("STATE_INVALID_ID", `Invalid ${kind} ${JSON.stringify(value)}: ${ID_RULES[kind]}.`);
    this.kind = kind;
    this.value = value;
  }
}

export class JobNotFoundError extends StateError {
  readonly jobId: string;

  constructor(jobId: string) {
    super("STATE_JOB_NOT_FOUND", `Job ${jobId} not found. List existing jobs with \`herdctl jobs\`.`);
    this.jobId = jobId;
  }
}

export class InvalidTransitionError extends StateError {
  readonly jobId: string;
  readonly from: string;
  readonly to: string;

  constructor(jobId: string, from: string, to: string, allowed: readonly string[]) {
    super(
      "STATE_INVALID_TRANSITION",
      allowed.length === 0
        ? `Job ${jobId} is already ${from}, a final status; it cannot become ${to}. ` +
            `Start a new job (or resume its session) instead.`
        : `Job ${jobId} cannot go from ${from} to ${to}; from ${from} it can only become ${allowed.join(", ")}.`,
    );
    this.jobId = jobId;
    this.from = from;
    this.to = to;
  }
}

export class StateLockedError extends StateError {
  readonly lockPath: string;
  readonly pid: number;

  constructor(lockPath: string, pid: number) {
    super(
      "STATE_LOCKED",
      `Another herdctl (pid ${pid}) is running on this state directory: ${lockPath} is held. ` +
        `Stop it first (herdctl stop); if pid ${pid} is not herdctl, delete ${lockPath}.`,
    );
    this.lockPath = lockPath;
    this.pid = pid;
  }
}

export class DiskFullError extends StateError {
  readonly path: string;

  constructor(path: string, options?: { cause?: unknown }) {
    super(
      "STATE_DISK_FULL",
      `No space left on the device while writing ${path}; nothing partial was kept. ` +
        `Free some disk space and try again.`,
      options,
    );
    this.path = path;
  }
}

export class CorruptOutputError extends StateError {
  readonly path: string;
  readonly line: number;

  constructor(path: string, line: number) {
    super(
      "STATE_CORRUPT_OUTPUT",
      `Job output ${path} line ${line + 1} is not valid JSON. herdctl has left the file untouched: ` +
        `inspect it, or move it aside to drop this job's output.`,
    );
    this.path = path;
    this.line = line;
  }
}

export class StateNotOpenError extends StateError {
  constructor(stateDir: string) {
    super("STATE_NOT_OPEN", `State store ${stateDir} is not open: call open() before using it.`);
  }
}

/**
 * The PostgreSQL state database did not answer, refused the login, or lost the connection. The
 * message names the server without its password (see pg/url.ts) and never the statement's values.
 */
export class StateUnreachableError extends StateError {
  readonly server: string;

  constructor(server: string, reason: string, hint: string, options?: { cause?: unknown }) {
    super("STATE_UNREACHABLE", `PostgreSQL state database ${server}: ${reason}. ${hint}`, options);
    this.server = server;
  }
}

/** Node's and SQLite's ways of saying "the disk is full". */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL";
}

/** SQLite error codes that mean the file cannot be trusted (not "busy" or "constraint"). */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

/**
 * Turns storage-level failures into state errors; anything else is a bug or a constraint the
 * caller should see as is.
 */
export function translateStorageError(error: unknown, path: string): unknown {
  if (error instanceof StateError) return error;
  if (isDiskFull(error)) return new DiskFullError(path, { cause: error });
  if (isCorruption(error)) {
    return new CorruptDatabaseError(path, (error as Error).message, { cause: error });
  }
  return error;
}
