import type { AnyFn, Db, DbRunResult, DbStatement, DbTransaction } from "../db-interface.js";
import { toPgPlaceholders } from "./placeholders.js";
import type { SyncPgClient } from "./sync-client.js";

function isNamedParams(params: readonly unknown[]): params is [Record<string, unknown>] {
  const [only] = params;
  return (
    params.length === 1 &&
    typeof only === "object" &&
    only !== null &&
    !Array.isArray(only) &&
    !(only instanceof Date) &&
    !Buffer.isBuffer(only)
  );
}

class PgStatement implements DbStatement {
  private readonly text: string;
  private readonly names: readonly string[];
  private plucking = false;

  constructor(
    private readonly client: SyncPgClient,
    sql: string,
  ) {
    const translated = toPgPlaceholders(sql);
    this.text = translated.sql;
    this.names = translated.names;
  }

  get(...params: unknown[]): unknown {
    return this.rows(params)[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.rows(params);
  }

  run(...params: unknown[]): DbRunResult {
    const { rowCount } = this.client.queryTranslated(this.text, this.bind(params));
    const client = this.client;
    return {
      changes: rowCount,
      // Asked for only after inserts into an identity column (events, chat messages); a second
      // round trip, so it is read only when wanted.
      get lastInsertRowid() {
        return client.queryTranslated<{ id: number }>("SELECT lastval() AS id", []).rows[0]!.id;
      },
    };
  }

  iterate(...params: unknown[]): IterableIterator<unknown> {
    return this.rows(params)[Symbol.iterator]();
  }

  pluck(toggle = true): this {
    this.plucking = toggle;
    return this;
  }

  private rows(params: unknown[]): unknown[] {
    const { rows } = this.client.queryTranslated(this.text, this.bind(params));
    return this.plucking ? rows.map((row) => Object.values(row)[0]) : rows;
  }

  private bind(params: unknown[]): unknown[] {
    if (this.names.length === 0) return params;
    if (!isNamedParams(params))
      throw new TypeError("this statement takes named parameters (@name): pass one object");
    const values = params[0];
    return this.names.map((name) => {
      if (!(name in values)) throw new RangeError(`missing named parameter @${name}`);
      return values[name];
    });
  }
}

/** The advisory lock key of state writers ("herdctlw"), distinct from the migration lock's. */
export const WRITER_LOCK = 0x6865_7264_6374_6c77n;

/**
 * better-sqlite3's API (the part the repositories use) over PostgreSQL, through SyncPgClient.
 * Statements are not prepared on the server: each call sends its text, which Postgres plans
 * quickly for the short statements the repositories run.
 */
export class PgDb implements Db {
  readonly dialect = "postgres" as const;

  constructor(readonly client: SyncPgClient) {}

  get inTransaction(): boolean {
    return this.client.inTransaction;
  }

  prepare(sql: string): DbStatement {
    return new PgStatement(this.client, sql);
  }

  exec(sql: string): void {
    this.client.exec(sql);
  }

  /**
   * A function running `fn` in one transaction. `.immediate()` is SQLite's BEGIN IMMEDIATE: it
   * first takes one advisory lock every herdctl writer shares, so a read-then-write (the audit
   * chain's tail, a job's status check, the next memory version) cannot interleave with another
   * process's, exactly as on SQLite. It rides in the BEGIN's round trip.
   */
  transaction<F extends AnyFn>(fn: F): DbTransaction<F> {
    const run = (...args: unknown[]) => this.client.transaction(() => fn(...args) as ReturnType<F>);
    const immediate = (...args: unknown[]) =>
      this.client.transaction(() => fn(...args) as ReturnType<F>, { writerLock: WRITER_LOCK });
    return Object.assign(run, { immediate }) as DbTransaction<F>;
  }

  pragma(source: string): never {
    throw new Error(`PRAGMA ${source} is SQLite's; the PostgreSQL backend has no equivalent`);
  }

  close(): void {
    this.client.close();
  }
}
