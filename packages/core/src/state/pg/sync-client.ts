import { createRequire } from "node:module";
import { builtWorkerFile } from "../../util/worker-file.js";
import { StateUnreachableError } from "../errors.js";
import { toPgPlaceholders } from "./placeholders.js";
import type { PgCall, PgReply } from "./protocol.js";
import { showPgUrl } from "./url.js";

export interface SyncPgOptions {
  /** How long to wait for a connection (and for a lost one to be replaced). Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** The longest one statement may run, enforced by the server and, on a silent network, the client. */
  readonly statementTimeoutMs?: number;
}

export interface PgResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

let call: ((request: PgCall) => PgReply) | undefined;

/** SQLSTATE classes that mean the server is gone, refused us, or is going away. */
function isConnectionFailure(code: string): boolean {
  return code.startsWith("08") || code.startsWith("57P") || code.startsWith("28") || code === "3D000";
}

/**
 * A PostgreSQL connection the caller uses synchronously: each query blocks the calling thread
 * (Atomics.wait, through synckit) while a worker thread runs it with `pg`. This keeps the state
 * repositories' synchronous contract (see docs/scaling.md, "The seam"), at the price of the
 * event loop standing still for each round trip.
 *
 * Nothing waits forever: the connect timeout bounds a connection, the statement timeout a
 * statement, and the wait itself is bounded by both plus a margin. A connection found dead
 * before a statement is sent is replaced once, outside a transaction; a statement whose fate is
 * unknown (sent, then the connection broke) is not repeated, because it may have committed.
 */
export class SyncPgClient {
  readonly server: string;
  private readonly handle: number;
  private depth = 0;
  private closed = false;

  constructor(url: string, options: SyncPgOptions = {}) {
    this.server = showPgUrl(url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
    const timeout = connectTimeoutMs + statementTimeoutMs + 5_000;
    // One worker per process (synckit keeps one per file), so the first client's bound is kept. It
    // is a last resort: the connect and statement timeouts end a call well before it.
    // Loaded on first use: every command imports the state layer, few open Postgres.
    if (call === undefined) {
      const { createSyncFn } = createRequire(import.meta.url)("synckit") as typeof import("synckit");
      call = createSyncFn<(request: PgCall) => Promise<PgReply>>(
        builtWorkerFile(import.meta.url, "state/pg/worker", "Postgres worker"),
        { timeout },
      );
    }
    const reply = this.send({ op: "open", url, connectTimeoutMs, statementTimeoutMs });
    this.handle = reply.handle!;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** Runs one statement; `?` placeholders become `$n`. */
  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): PgResult<Row> {
    return this.queryTranslated(toPgPlaceholders(sql).sql, params);
  }

  /** Runs one statement already in Postgres's `$n` form. */
  queryTranslated<Row = Record<string, unknown>>(sql: string, params: readonly unknown[]): PgResult<Row> {
    if (this.closed) throw new Error(`the connection to ${this.server} is closed`);
    const reply = this.send({
      op: "query",
      handle: this.handle,
      sql,
      params: params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p)),
      reconnect: this.depth === 0,
    });
    return { rows: (reply.rows ?? []) as Row[], rowCount: reply.rowCount ?? 0 };
  }

  /**
   * Runs a statement now and again on each new connection this client opens (in `$n` form): what
   * the session holds (a member's lock) lives as long as the process, not one connection. A lost
   * connection is then replaced at once, not at the next query. Returns the rows it changed now.
   */
  everyConnect(sql: string, params: readonly unknown[]): number {
    if (this.closed) throw new Error(`the connection to ${this.server} is closed`);
    return this.send({ op: "every-connect", handle: this.handle, sql, params }).rowCount ?? 0;
  }

  /** Runs several statements with no parameters (a migration). */
  exec(sql: string): void {
    this.query(sql);
  }

  /**
   * All of `fn`'s statements in one transaction, committed when it returns and rolled back when
   * it throws. Nested calls become savepoints, as better-sqlite3's do. With `writerLock`, the
   * transaction first takes that transaction-scoped advisory lock.
   */
  transaction<T>(fn: () => T, options: { writerLock?: bigint } = {}): T {
    const savepoint = `herdctl_sp_${this.depth}`;
    // The writer lock rides in the BEGIN's round trip (a simple query may hold several statements).
    const begin =
      options.writerLock === undefined
        ? "BEGIN"
        : `BEGIN; SELECT pg_advisory_xact_lock(${options.writerLock})`;
    try {
      this.query(this.depth === 0 ? begin : `SAVEPOINT ${savepoint}`);
    } catch (error) {
      // The BEGIN ran and the lock's wait failed (its statement timeout): the session is now in an
      // aborted transaction that no COMMIT will end, and every later statement would fail with
      // "current transaction is aborted" for the rest of the process's life.
      if (this.depth === 0 && begin !== "BEGIN")
        try {
          this.query("ROLLBACK");
        } catch {}
      throw error;
    }
    this.depth++;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.depth--;
      try {
        this.query(this.depth === 0 ? "ROLLBACK" : `ROLLBACK TO SAVEPOINT ${savepoint}`);
      } catch {}
      throw error;
    }
    this.depth--;
    try {
      this.query(this.depth === 0 ? "COMMIT" : `RELEASE SAVEPOINT ${savepoint}`);
    } catch (error) {
      // A failed COMMIT has ended the transaction; a failed RELEASE leaves it to the outer one's
      // rollback, which its caller's throw brings about.
      if (this.depth === 0)
        try {
          this.query("ROLLBACK");
        } catch {}
      throw error;
    }
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.send({ op: "close", handle: this.handle });
    } catch {}
  }

  private send(request: PgCall): PgReply {
    try {
      return call!(request);
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** A failure to reach the server becomes STATE_UNREACHABLE; a statement's own error stays as it is. */
  private translate(error: unknown): unknown {
    const e = error as { code?: unknown; message?: string };
    const message = String(e?.message ?? error);
    const code = typeof e?.code === "string" ? e.code : "";
    if (/^[0-9A-Z]{5}$/.test(code) && !isConnectionFailure(code)) {
      if (code === "57014")
        return new StateUnreachableError(
          this.server,
          "a statement ran past the statement timeout and was cancelled",
          "The server is overloaded or a lock is held for long; try again, and check the server's load.",
          { cause: error },
        );
      return error;
    }
    const hint = code.startsWith("28")
      ? "Check the user and password in state.url (or the variable it names)."
      : code === "3D000"
        ? "Create the database (createdb) or fix its name in state.url."
        : "Check that the server is running and reachable from this machine, and the host and port in state.url; herdctl did not retry a statement that may have been sent.";
    return new StateUnreachableError(
      this.server,
      message.replaceAll(/postgres(ql)?:\/\/\S+/g, this.server),
      hint,
      {
        cause: error,
      },
    );
  }
}
