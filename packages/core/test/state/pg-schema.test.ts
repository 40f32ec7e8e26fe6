import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../../test/setup/postgres.js";
import { MIGRATIONS, openDatabase } from "../../src/state/db.js";
import { migratePg, PG_MIGRATIONS, pgSchemaVersion } from "../../src/state/pg/schema.js";
import { SyncPgClient } from "../../src/state/pg/sync-client.js";
import { caught, tempDir } from "./helpers.js";

// Real PostgreSQL; the racing openers are separate processes running the built code.
const db = postgresDatabase();
let client: SyncPgClient;
const CHILD = fileURLToPath(new URL("./pg-migrate-child.mjs", import.meta.url));

function migrateInChild(url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, url], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    child.on("close", (code) => resolve({ code, out }));
  });
}

beforeAll(() => {
  client = new SyncPgClient(db.url);
});
afterAll(() => client.close());

const latest = (list: readonly { version: number }[]) => Math.max(...list.map((m) => m.version));

describe("Postgres schema", () => {
  it("is applied once when four processes open a new database at the same moment", async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => migrateInChild(db.url)));
    for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
    const rows = client.query<{ version: number }>(
      "SELECT version FROM schema_migrations ORDER BY version",
    ).rows;
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version })));
    // Opening again changes nothing.
    migratePg(client);
    expect(pgSchemaVersion(client)).toBe(latest(MIGRATIONS));
  });

  it("is at the same version as SQLite's MIGRATIONS (a new SQLite migration needs its Postgres twin)", () => {
    expect(latest(PG_MIGRATIONS)).toBe(latest(MIGRATIONS));
  });

  it("has SQLite's tables, columns (order, kind, NOT NULL), indexes and triggers", () => {
    const sqlite = openDatabase(join(tempDir(), "herdctl.db"));
    try {
      const kind = (type: string) =>
        /int/i.test(type)
          ? "integer"
          : /real|double/i.test(type)
            ? "real"
            : /text/i.test(type)
              ? "text"
              : type;
      const sqliteTables = (
        sqlite
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .all() as { name: string }[]
      ).map((t) => t.name);
      const pgTables = client
        .query<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
        )
        .rows.map((t) => t.name);
      expect(pgTables).toEqual(sqliteTables);
      for (const table of sqliteTables) {
        const sqliteColumns = (
          sqlite.pragma(`table_info(${table})`) as {
            name: string;
            type: string;
            notnull: number;
            pk: number;
          }[]
        ).map((c) => ({ name: c.name, kind: kind(c.type), notNull: c.notnull === 1 || c.pk > 0 }));
        const pgColumns = client
          .query<{ name: string; type: string; nullable: string }>(
            `SELECT column_name AS name, data_type AS type, is_nullable AS nullable FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
            [table],
          )
          .rows.map((c) => ({ name: c.name, kind: kind(c.type), notNull: c.nullable === "NO" }))
          // SQLite's implicit rowid, made explicit where a repository orders by it.
          .filter((c) => !(c.name === "rowid" && table === "chats"));
        expect(pgColumns, table).toEqual(sqliteColumns);
      }
      const sqliteIndexes = (
        sqlite
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
          .all() as { name: string }[]
      ).map((i) => i.name);
      const pgIndexes = client
        .query<{ name: string }>(
          "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_rowid_key' ORDER BY indexname",
        )
        .rows.map((i) => i.name);
      expect(pgIndexes).toEqual(sqliteIndexes);
      const sqliteTriggers = (
        sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      const pgTriggers = client
        .query<{ name: string }>(
          "SELECT DISTINCT trigger_name AS name FROM information_schema.triggers WHERE trigger_schema = current_schema() ORDER BY trigger_name",
        )
        .rows.map((t) => t.name);
      expect(pgTriggers).toEqual(sqliteTriggers);
    } finally {
      sqlite.close();
    }
  });

  it("orders text by bytes, as SQLite does, so keyset pages agree", () => {
    const rows = client.query<{ v: string }>(
      "SELECT v FROM (VALUES ('job-a'), ('job_a'), ('Job-b'), ('jobA')) AS t (v) ORDER BY v COLLATE \"C\"",
    ).rows;
    const stored = client.query<{ c: string }>(
      "SELECT collation_name AS c FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'id'",
    ).rows[0];
    expect(stored?.c).toBe("C");
    expect(rows.map((r) => r.v)).toEqual(["Job-b", "job-a", "jobA", "job_a"]);
  });

  it("keeps the audit trail append-only and its checkpoint forward-only, as SQLite's triggers do", () => {
    client.query(
      "INSERT INTO audit (seq, at, action, via, who, prev_hash, hash) VALUES (1, '2025-01-01T00:00:00.000Z', 'a', 'cli', 'me', 'p', 'h1'), (2, '2025-01-02T00:00:00.000Z', 'a', 'cli', 'me', 'h1', 'h2')",
    );
    expect(caught(() => client.query("UPDATE audit SET who = 'x' WHERE seq = 1")).message).toContain(
      "the audit trail is append-only",
    );
    expect(caught(() => client.query("DELETE FROM audit WHERE seq = 1")).message).toContain(
      "the audit trail is append-only",
    );
    expect(
      caught(() =>
        client.query("UPDATE audit_checkpoint SET through_seq = 1, through_hash = 'wrong' WHERE id = 1"),
      ).message,
    ).toContain("only moves forward, to an entry that exists");
    client.query("UPDATE audit_checkpoint SET through_seq = 1, through_hash = 'h1' WHERE id = 1");
    expect(client.query("DELETE FROM audit WHERE seq = 1").rowCount).toBe(1);
    expect(caught(() => client.query("DELETE FROM audit_checkpoint")).message).toContain("is one row");
  });

  it("bumps the usage version of each day a job is inserted into, re-costed on, or removed from", () => {
    const version = (day: string) =>
      client.query<{ version: number }>("SELECT version FROM usage_versions WHERE day = ?", [day]).rows[0]
        ?.version;
    client.query(
      "INSERT INTO jobs (id, agent, trigger_type, status, prompt, runtime, created_at) VALUES ('j1', 'a', 'manual', 'queued', 'p', 'sdk', '2025-03-04T10:00:00.000Z')",
    );
    expect(version("2025-03-04")).toBe(1);
    client.query("UPDATE jobs SET summary = 'not counted' WHERE id = 'j1'");
    expect(version("2025-03-04")).toBe(1);
    client.query("UPDATE jobs SET cost_usd = 0.5 WHERE id = 'j1'");
    expect(version("2025-03-04")).toBe(3); // OLD's day and NEW's day, as in SQLite
    client.query("DELETE FROM jobs WHERE id = 'j1'");
    expect(version("2025-03-04")).toBe(4);
  });

  it("refuses a database a newer herdctl migrated, naming the server without its password", () => {
    client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')");
    try {
      const error = caught(() => migratePg(client));
      expect(error.code).toBe("STATE_SCHEMA_TOO_NEW");
      expect(error.message).toContain("schema version 999");
      expect(error.message).toContain(":***@127.0.0.1");
      expect(error.message).not.toContain(`:${new URL(db.url).password}@`);
    } finally {
      client.query("DELETE FROM schema_migrations WHERE version = 999");
    }
  });
});
