/**
 * What the repositories use of a database: the part of better-sqlite3's API both backends
 * provide. better-sqlite3's Database satisfies it as it is (the SQLite path runs unchanged);
 * pg/pg-db.ts provides it over PostgreSQL. Methods are declared as methods so better-sqlite3's
 * generic signatures fit.
 */
export interface DbRunResult {
  readonly changes: number;
  /** The id an INSERT gave an identity (AUTOINCREMENT) column. */
  readonly lastInsertRowid: number | bigint;
}

export interface DbStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): DbRunResult;
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(toggle?: boolean): this;
}

// biome-ignore lint/suspicious/noExplicitAny: better-sqlite3's own transaction signature
export type AnyFn = (...args: any[]) => unknown;
type ArgumentTypes<F extends AnyFn> = F extends (...args: infer A) => unknown ? A : never;

export interface DbTransaction<F extends AnyFn> {
  (...args: ArgumentTypes<F>): ReturnType<F>;
  immediate(...args: ArgumentTypes<F>): ReturnType<F>;
}

export interface Db {
  /** "postgres" on PostgreSQL; absent on better-sqlite3, whose dialect is the default. */
  readonly dialect?: "postgres";
  readonly inTransaction: boolean;
  prepare(sql: string): DbStatement;
  exec(sql: string): unknown;
  transaction<F extends AnyFn>(fn: F): DbTransaction<F>;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
}
