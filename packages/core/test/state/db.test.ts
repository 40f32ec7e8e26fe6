import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, type Migration, openDatabase, schemaVersion } from "../../src/state/db.js";
import { CorruptDatabaseError, DiskFullError, SchemaTooNewError } from "../../src/state/errors.js";
import { JobRepository } from "../../src/state/jobs.js";
import { StateManager } from "../../src/state/manager.js";
import { caught, fakeClock, openState, tempDir } from "./helpers.js";

function corruptMessage(path: string, detail: string): string {
  return (
    `State database ${path} is corrupt or not an SQLite database (${detail}). ` +
    `herdctl has left it untouched: move it aside (mv "${path}" "${path}.corrupt") to start ` +
    `with empty state, or restore it from a backup.`
  );
}

describe("openDatabase", () => {
  it("creates the schema with WAL and foreign keys on", () => {
    const path = join(tempDir(), "herdctl.db");
    const db = openDatabase(path);
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
      const tables = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .pluck()
        .all();
      expect(tables).toEqual([
        "agent_memory",
        "approvals",
        "audit",
        "audit_checkpoint",
        "chat_messages",
        "chats",
        "events",
        "jobs",
        "schedules",
        "schema_migrations",
        "sessions",
        "usage_pauses",
        "usage_versions",
        "wakes",
      ]);
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    } finally {
      db.close();
    }
  });

  it("applies each migration once, however often it is reopened", () => {
    const path = join(tempDir(), "herdctl.db");
    openDatabase(path).close();
    const first = new Database(path, { readonly: true });
    const applied = first.prepare("SELECT version, name, applied_at FROM schema_migrations").all();
    first.close();

    for (let i = 0; i < 3; i++) openDatabase(path).close();
    const again = new Database(path, { readonly: true });
    expect(again.prepare("SELECT version, name, applied_at FROM schema_migrations").all()).toEqual(applied);
    again.close();
    expect(applied).toHaveLength(MIGRATIONS.length);
  });

  it("applies only the migrations a database has not seen, and keeps its data", () => {
    const path = join(tempDir(), "herdctl.db");
    const v1: Migration[] = [{ version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER)" }];
    const v2: Migration[] = [...v1, { version: 2, name: "two", sql: "ALTER TABLE a ADD COLUMN y TEXT" }];
    const db1 = openDatabase(path, v1);
    db1.prepare("INSERT INTO a (x) VALUES (1)").run();
    db1.close();

    const db2 = openDatabase(path, v2);
    expect(schemaVersion(db2)).toBe(2);
    expect(db2.prepare("SELECT x, y FROM a").all()).toEqual([{ x: 1, y: null }]);
    expect(db2.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all()).toEqual([
      1, 2,
    ]);
    db2.close();
  });

  it("refuses a database from a newer herdctl and leaves it as it is", () => {
    const path = join(tempDir(), "herdctl.db");
    openDatabase(path, [
      { version: 1, name: "one", sql: "CREATE TABLE a (x)" },
      { version: 2, name: "two", sql: "CREATE TABLE b (x)" },
    ]).close();
    const before = readFileSync(path);
    const error = caught(() => openDatabase(path, [{ version: 1, name: "one", sql: "CREATE TABLE a (x)" }]));
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error.code).toBe("STATE_SCHEMA_TOO_NEW");
    expect(error.message).toBe(
      `State database ${path} has schema version 2, but this herdctl understands versions up to 1. ` +
        "Upgrade herdctl, or use another state directory (--state).",
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("opens an existing empty file as a new database", () => {
    const path = join(tempDir(), "herdctl.db");
    writeFileSync(path, "");
    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });
});

describe("corrupt databases", () => {
  it("reports a non-SQLite herdctl.db and never rewrites it", () => {
    const dir = join(tempDir(), ".herdctl");
    const state = new StateManager(dir);
    state.open();
    state.close();
    const garbage = Buffer.from("this is not a database\n".repeat(300));
    writeFileSync(state.dbPath, garbage);
    for (const suffix of ["-wal", "-shm"]) expect(existsSync(state.dbPath + suffix)).toBe(false);

    const error = caught(() => state.open());
    expect(error).toBeInstanceOf(CorruptDatabaseError);
    expect(error.code).toBe("STATE_CORRUPT_DATABASE");
    expect(error.message).toBe(
      corruptMessage(state.dbPath, "the file does not start with the SQLite header"),
    );
    expect(readFileSync(state.dbPath).equals(garbage)).toBe(true);
    expect(existsSync(`${state.dbPath}-wal`)).toBe(false);
    expect(state.isOpen).toBe(false);
  });

  it("reports damaged pages behind a valid header and leaves the bytes alone", () => {
    const { state } = openState();
    for (let i = 0; i < 300; i++) {
      state.jobs.create({
        agent: `agent-${i % 7}`,
        triggerType: "manual",
        prompt: "p".repeat(200),
        runtime: "cli",
      });
    }
    state.close(); // checkpoints the WAL into herdctl.db
    const bytes = readFileSync(state.dbPath);
    expect(bytes.length).toBeGreaterThan(8 * 4096);
    // Keep page 1 (header and schema) and smash the b-tree pages after it.
    bytes.fill(0xa5, 4096, 8 * 4096);
    writeFileSync(state.dbPath, bytes);

    const error = caught(() => state.open());
    expect(error).toBeInstanceOf(CorruptDatabaseError);
    expect(error.message).toBe(corruptMessage(state.dbPath, "database disk image is malformed"));
    expect(readFileSync(state.dbPath).equals(bytes)).toBe(true);
  });

  it("reports a healthy database as having no integrity problems", () => {
    const { state } = openState();
    state.jobs.create({ agent: "a", triggerType: "manual", prompt: "hi", runtime: "sdk" });
    expect(state.integrityCheck()).toEqual([]);
  });
});

describe("a full disk", () => {
  it("raises STATE_DISK_FULL and keeps every committed row", () => {
    const path = join(tempDir(), "herdctl.db");
    const db = openDatabase(path);
    const jobs = new JobRepository(db, path, fakeClock().now);
    const pages = db.pragma("page_count", { simple: true }) as number;
    // SQLite's own size cap produces the same SQLITE_FULL a full disk does.
    db.pragma(`max_page_count = ${pages + 3}`);
    let created = 0;
    const error = caught(() => {
      for (;;) {
        jobs.create({ agent: "a", triggerType: "manual", prompt: "x".repeat(2000), runtime: "cli" });
        created++;
      }
    });
    expect(error).toBeInstanceOf(DiskFullError);
    expect(error.code).toBe("STATE_DISK_FULL");
    expect(error.message).toBe(
      `No space left on the device while writing ${path}; nothing partial was kept. Free some disk space and try again.`,
    );
    expect(created).toBeGreaterThan(0);
    expect(jobs.list({ limit: 1000 }).jobs).toHaveLength(created);
    db.close();
  });
});

describe("migration 12: jobs may be skipped", () => {
  it("rebuilds the jobs table keeping every row, every reference to it and its indexes", () => {
    const path = join(tempDir(), "herdctl.db");
    const old = openDatabase(
      path,
      MIGRATIONS.filter((m) => m.version <= 11),
    );
    const job = (id: string, extra = "") =>
      old
        .prepare(
          `INSERT INTO jobs (id, agent, trigger_type, status, prompt, runtime, created_at${extra ? ", resumed_from, retry_of, forked_from" : ""})
           VALUES (?, 'a', 'manual', 'completed', 'p', 'cli', '2026-01-01T00:00:00.000Z'${extra})`,
        )
        .run(id);
    job("job-parent");
    job("job-child", ", 'job-parent', 'job-parent', 'job-parent'");
    old
      .prepare(
        "INSERT INTO wakes (id, agent, job_id, session_id, kind, prompt, status, created_at) VALUES ('w1', 'a', 'job-parent', 's', 'once', 'p', 'pending', 'x')",
      )
      .run();
    old
      .prepare(
        "INSERT INTO chats (id, agent, title, surface, created_at, last_active_at) VALUES ('c1', 'a', 't', 'web', 'x', 'x')",
      )
      .run();
    old
      .prepare(
        "INSERT INTO chat_messages (chat_id, job_id, role, text, created_at) VALUES ('c1', 'job-child', 'user', 'hi', 'x')",
      )
      .run();
    old.close();

    // Up to this migration only: later ones add indexes of their own.
    const db = openDatabase(
      path,
      MIGRATIONS.filter((m) => m.version <= 12),
    );
    try {
      expect(schemaVersion(db)).toBe(12);
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(
        db.prepare("SELECT resumed_from, retry_of, forked_from FROM jobs WHERE id = 'job-child'").get(),
      ).toEqual({
        resumed_from: "job-parent",
        retry_of: "job-parent",
        forked_from: "job-parent",
      });
      expect(db.prepare("SELECT job_id FROM wakes").pluck().get()).toBe("job-parent");
      expect(db.prepare("SELECT job_id FROM chat_messages").pluck().get()).toBe("job-child");
      const indexes = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL ORDER BY name",
        )
        .pluck()
        .all();
      expect(indexes).toEqual([
        "jobs_by_agent",
        "jobs_by_agent_status",
        "jobs_by_forked_from",
        "jobs_by_resumed_from",
        "jobs_by_retry_of",
        "jobs_by_session",
        "jobs_by_status",
        "jobs_by_time",
      ]);
      db.prepare("UPDATE jobs SET status = 'skipped' WHERE id = 'job-child'").run();
      expect(() => db.prepare("UPDATE jobs SET status = 'bogus' WHERE id = 'job-child'").run()).toThrow(
        /CHECK constraint/,
      );
      // References still act: deleting the parent clears them rather than failing or cascading.
      db.prepare("DELETE FROM jobs WHERE id = 'job-parent'").run();
      expect(db.prepare("SELECT resumed_from FROM jobs WHERE id = 'job-child'").pluck().get()).toBeNull();
      expect(db.prepare("SELECT job_id FROM wakes").pluck().get()).toBeNull();
    } finally {
      db.close();
    }
  });
});

describe("migration 19: approvals", () => {
  it("rebuilds the jobs table with waiting_approval, keeping rows, references, indexes and usage triggers", () => {
    const path = join(tempDir(), "herdctl.db");
    const old = openDatabase(
      path,
      MIGRATIONS.filter((m) => m.version <= 18),
    );
    const job = (id: string, extra = "") =>
      old
        .prepare(
          `INSERT INTO jobs (id, agent, trigger_type, status, prompt, runtime, created_at${extra ? ", resumed_from" : ""})
           VALUES (?, 'a', 'manual', 'completed', 'p', 'cli', '2026-01-01T00:00:00.000Z'${extra})`,
        )
        .run(id);
    job("job-parent");
    job("job-child", ", 'job-parent'");
    old
      .prepare(
        "INSERT INTO wakes (id, agent, job_id, session_id, kind, prompt, status, created_at) VALUES ('w1', 'a', 'job-parent', 's', 'once', 'p', 'pending', 'x')",
      )
      .run();
    const indexesBefore = old
      .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'jobs' AND sql IS NOT NULL ORDER BY name")
      .pluck()
      .all();
    const versionBefore = old.prepare("SELECT version FROM usage_versions").pluck().get() as number;
    old.close();

    const db = openDatabase(
      path,
      MIGRATIONS.filter((m) => m.version <= 19),
    );
    try {
      expect(schemaVersion(db)).toBe(19);
      expect(db.prepare("SELECT resumed_from FROM jobs WHERE id = 'job-child'").pluck().get()).toBe(
        "job-parent",
      );
      // Indexes and the usage triggers are all back on the rebuilt table.
      expect(
        db
          .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'jobs' AND sql IS NOT NULL ORDER BY name")
          .pluck()
          .all(),
      ).toEqual(indexesBefore);
      // The update trigger bumps the old and the new day: the same day here, so twice.
      db.prepare("UPDATE jobs SET status = 'waiting_approval' WHERE id = 'job-child'").run();
      expect(db.prepare("SELECT version FROM usage_versions").pluck().get()).toBe(versionBefore + 2);
      expect(() => db.prepare("UPDATE jobs SET status = 'bogus' WHERE id = 'job-child'").run()).toThrow(
        /CHECK constraint/,
      );
      db.prepare("DELETE FROM jobs WHERE id = 'job-parent'").run();
      expect(db.prepare("SELECT job_id FROM wakes").pluck().get()).toBeNull();
    } finally {
      db.close();
    }
  });
});

describe("migration 20: a job's worker and cancel request", () => {
  it("adds worker_id and cancel_requested to existing jobs, which read as run here and not asked to stop", () => {
    const path = join(tempDir(), "herdctl.db");
    const old = openDatabase(
      path,
      MIGRATIONS.filter((m) => m.version <= 19),
    );
    old
      .prepare(
        "INSERT INTO jobs (id, agent, trigger_type, status, prompt, runtime, created_at) VALUES ('job-old', 'a', 'manual', 'running', 'p', 'cli', '2026-01-01T00:00:00.000Z')",
      )
      .run();
    old.close();
    const db = openDatabase(path);
    try {
      expect(schemaVersion(db)).toBe(20);
      expect(db.prepare("SELECT worker_id, cancel_requested FROM jobs WHERE id = 'job-old'").get()).toEqual({
        worker_id: null,
        cancel_requested: 0,
      });
      expect(() => db.prepare("UPDATE jobs SET cancel_requested = 2").run()).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});
