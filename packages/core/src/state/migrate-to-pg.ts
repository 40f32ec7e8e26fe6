import { existsSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS, openDatabase, type SqliteDb, schemaVersion } from "./db.js";
import { acquireLock } from "./lock.js";
import { migratePg, PG_MIGRATIONS } from "./pg/schema.js";
import { SyncPgClient } from "./pg/sync-client.js";

/**
 * `herdctl state migrate`: copies a SQLite `.herdctl/herdctl.db` into a PostgreSQL database.
 *
 * Everything is copied in ONE transaction on the target (schema creation included), not one per
 * table: the tables refer to each other (events, chat messages and approvals name jobs; the audit
 * checkpoint names an audit entry), so a target holding some tables and not others is a state no
 * herdctl can run on, and a failure half-way must leave the target exactly as it was. Postgres
 * keeps a large transaction cheaply (MVCC, no undo log to fill); nothing else uses the target
 * meanwhile, since it must be empty. Rows are read from SQLite as a stream and sent in multi-row
 * INSERTs of a few hundred rows, so memory stays bounded at any size.
 *
 * Tables and columns are found from the two schemas, not listed here, so a table or column a later
 * migration adds on both backends is copied with no change to this file.
 */

export interface MigrateOptions {
  /** The `.herdctl` directory whose herdctl.db is copied. */
  readonly stateDir: string;
  /** postgres://…; a secret: never shown (see `server`). */
  readonly url: string;
  /** Check everything and count the rows, write nothing. */
  readonly dryRun?: boolean;
  /** Told each table once it is copied (or counted, on a dry run). */
  readonly onTable?: (table: string, rows: number) => void;
}

export interface MigrateReport {
  /** The target without its password. */
  readonly server: string;
  readonly dryRun: boolean;
  readonly schemaVersion: number;
  /** Rows per table, in the order they were copied. */
  readonly tables: readonly { readonly table: string; readonly rows: number }[];
  /** Tables of the target's own that SQLite has no counterpart of (the cluster's), left as they were. */
  readonly targetOnly: readonly string[];
}

/** A migration refused before anything was written, with what to do. */
export class StateMigrateError extends Error {
  readonly code = "STATE_MIGRATE_REFUSED";
}

/** Rows a fresh schema writes itself; such a row does not make the target "not empty". */
const SEED_ROWS: Readonly<Record<string, string>> = {
  audit_checkpoint: "through_seq = 0",
};

/** Kept well under Postgres's 65,535 bind parameters per statement. */
const MAX_PARAMS = 30_000;
const MAX_BATCH_ROWS = 500;

interface TargetColumn {
  readonly name: string;
  readonly identity: boolean;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function migrateSqliteToPg(options: MigrateOptions): MigrateReport {
  const dbPath = join(options.stateDir, "herdctl.db");
  if (!existsSync(dbPath))
    throw new StateMigrateError(
      `no SQLite state at ${dbPath}: pass the state directory with -s, or run from the fleet's folder`,
    );
  // Held to the end: refuses while a daemon runs on this state, and keeps one from starting mid-copy.
  const lock = acquireLock(join(options.stateDir, "herdctl.lock"));
  try {
    const source = openDatabase(dbPath, MIGRATIONS, "quick");
    try {
      const client = new SyncPgClient(options.url, { statementTimeoutMs: 300_000 });
      try {
        return copy(source, client, options);
      } finally {
        client.close();
      }
    } finally {
      source.close();
    }
  } finally {
    lock.release();
  }
}

function copy(source: SqliteDb, client: SyncPgClient, options: MigrateOptions): MigrateReport {
  const sourceVersion = schemaVersion(source);
  const pgKnown = PG_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
  if (sourceVersion !== pgKnown)
    throw new StateMigrateError(
      `the SQLite state is at schema version ${sourceVersion} and this herdctl's PostgreSQL schema at ${pgKnown}; ` +
        "use the herdctl version that wrote the state",
    );
  const dryRun = options.dryRun === true;
  let report: MigrateReport | undefined;
  const run = () => {
    // Inside the transaction (a savepoint), so a failure later (or a dry run's end) takes a schema
    // made here away again.
    migratePg(client);
    const tables = tablesToCopy(source, client);
    assertEmpty(
      client,
      tables.map((t) => t.table),
    );
    const copied: { table: string; rows: number }[] = [];
    for (const table of tables) {
      const rows = dryRun
        ? countRows(source, table.table)
        : copyTable(source, client, table.table, table.columns);
      copied.push({ table: table.table, rows });
      options.onTable?.(table.table, rows);
    }
    report = {
      server: client.server,
      dryRun,
      schemaVersion: sourceVersion,
      tables: copied,
      targetOnly: targetOnlyTables(source, client),
    };
  };
  if (dryRun) {
    // The dry run makes the same checks with the schema in place, then rolls everything back.
    try {
      client.transaction(() => {
        run();
        throw ROLLBACK;
      });
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
  } else {
    client.transaction(run);
  }
  return report!;
}

const ROLLBACK = Symbol("dry run: roll back");

function sourceTables(source: SqliteDb): string[] {
  return source
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY rowid",
    )
    .pluck()
    .all() as string[];
}

function targetTables(client: SyncPgClient): string[] {
  return client
    .query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .rows.map((r) => r.name);
}

function targetOnlyTables(source: SqliteDb, client: SyncPgClient): string[] {
  const inSource = new Set([...sourceTables(source), "schema_migrations"]);
  return targetTables(client)
    .filter((t) => !inSource.has(t))
    .sort();
}

/** The tables to copy, parents before children (by the target's foreign keys), with the target's columns. */
function tablesToCopy(source: SqliteDb, client: SyncPgClient): { table: string; columns: TargetColumn[] }[] {
  const names = sourceTables(source);
  const present = new Set(targetTables(client));
  const missing = names.filter((t) => !present.has(t));
  if (missing.length > 0)
    throw new StateMigrateError(
      `${client.server} has no table ${missing.join(", ")} though its schema version matches; it was not made by herdctl's migrations`,
    );
  const parents = new Map<string, Set<string>>(names.map((t) => [t, new Set<string>()]));
  for (const { child, parent } of client.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = current_schema()`,
  ).rows) {
    const unquoted = (t: string) => t.replace(/^"|"$/g, "");
    if (unquoted(child) !== unquoted(parent)) parents.get(unquoted(child))?.add(unquoted(parent));
  }
  const ordered: string[] = [];
  const visit = (table: string, path: string[]) => {
    if (ordered.includes(table)) return;
    if (path.includes(table)) throw new Error(`foreign keys form a cycle: ${[...path, table].join(" → ")}`);
    for (const parent of parents.get(table) ?? []) if (parents.has(parent)) visit(parent, [...path, table]);
    ordered.push(table);
  };
  for (const table of names) visit(table, []);
  return ordered.map((table) => ({ table, columns: targetColumns(source, client, table) }));
}

function sourceColumns(source: SqliteDb, table: string): string[] {
  return (source.pragma(`table_info(${quote(table)})`) as { name: string }[]).map((c) => c.name);
}

/**
 * The target's columns that get values from the source: every source column (one the target lacks
 * is refused: the schemas disagree), plus a target column named `rowid` filled from SQLite's
 * implicit rowid (chats order by it).
 */
function targetColumns(source: SqliteDb, client: SyncPgClient, table: string): TargetColumn[] {
  const target = client.query<{ name: string; identity: string }>(
    `SELECT column_name AS name, is_identity AS identity FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
    [table],
  ).rows;
  const byName = new Map(target.map((c) => [c.name, c.identity === "YES"]));
  const wanted = sourceColumns(source, table);
  const lacking = wanted.filter((c) => !byName.has(c));
  if (lacking.length > 0)
    throw new StateMigrateError(
      `${client.server}: table ${table} has no column ${lacking.join(", ")}; the two schemas disagree`,
    );
  const columns = wanted.map((name) => ({ name, identity: byName.get(name)! }));
  if (byName.has("rowid") && !wanted.includes("rowid") && isRowidTable(source, table))
    columns.push({ name: "rowid", identity: byName.get("rowid")! });
  return columns;
}

function assertEmpty(client: SyncPgClient, tables: readonly string[]): void {
  const held: string[] = [];
  for (const table of tables) {
    const seed = SEED_ROWS[table];
    const row = client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quote(table)}${seed ? ` WHERE NOT (${seed})` : ""}`,
    ).rows[0];
    if ((row?.n ?? 0) > 0) held.push(`${table} (${row!.n})`);
  }
  if (held.length > 0)
    throw new StateMigrateError(
      `${client.server} already holds herdctl state: ${held.join(", ")}. ` +
        "Migrate into an empty database (createdb a new one, or drop this one's tables yourself if nothing uses it); " +
        "nothing was written",
    );
}

function countRows(source: SqliteDb, table: string): number {
  return source
    .prepare(`SELECT count(*) FROM ${quote(table)}`)
    .pluck()
    .get() as number;
}

function copyTable(source: SqliteDb, client: SyncPgClient, table: string, columns: TargetColumn[]): number {
  // Triggers (the usage versions' bumps, the audit checkpoint's guards) would rewrite or refuse
  // rows copied as they are; they are off for this transaction only (ALTER TABLE is transactional).
  // Foreign keys stay checked: they are not user triggers.
  client.exec(`ALTER TABLE ${quote(table)} DISABLE TRIGGER USER`);
  // Only a fresh schema's seed rows can be here (checked before); the source's replace them.
  if (SEED_ROWS[table]) client.exec(`DELETE FROM ${quote(table)}`);
  const hasRowid = isRowidTable(source, table);
  const selectList = columns.map((c) => (c.name === "rowid" ? "rowid AS rowid" : quote(c.name))).join(", ");
  const order = hasRowid ? "rowid" : primaryKey(source, table).map(quote).join(", ");
  const rows = source.prepare(`SELECT ${selectList} FROM ${quote(table)} ORDER BY ${order}`).raw(true);
  const perBatch = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMS / columns.length)));
  const names = columns.map((c) => quote(c.name)).join(", ");
  const overriding = columns.some((c) => c.identity) ? " OVERRIDING SYSTEM VALUE" : "";
  let batch: unknown[][] = [];
  let total = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => {
      const slots = row.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      return `(${slots.join(", ")})`;
    });
    client.queryTranslated(
      `INSERT INTO ${quote(table)} (${names})${overriding} VALUES ${tuples.join(", ")}`,
      params,
    );
    total += batch.length;
    batch = [];
  };
  for (const row of rows.iterate() as IterableIterator<unknown[]>) {
    batch.push(row);
    if (batch.length >= perBatch) flush();
  }
  flush();
  client.exec(`ALTER TABLE ${quote(table)} ENABLE TRIGGER USER`);
  // Identity columns continue after the copied ids, so the next event or chat message gets a new one.
  for (const column of columns.filter((c) => c.identity)) {
    client.query(
      `SELECT setval(pg_get_serial_sequence(?, ?), coalesce((SELECT max(${quote(column.name)}) FROM ${quote(table)}), 0) + 1, false)`,
      [quote(table), column.name],
    );
  }
  return total;
}

function isRowidTable(source: SqliteDb, table: string): boolean {
  const sql = source
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?")
    .pluck()
    .get(table);
  return !/WITHOUT\s+ROWID\s*;?\s*$/i.test(String(sql ?? ""));
}

function primaryKey(source: SqliteDb, table: string): string[] {
  return (source.pragma(`table_info(${quote(table)})`) as { name: string; pk: number }[])
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
}
