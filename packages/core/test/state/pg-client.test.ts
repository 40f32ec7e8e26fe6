import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../../test/setup/postgres.js";
import { PgDb, WRITER_LOCK } from "../../src/state/pg/pg-db.js";
import { toPgPlaceholders } from "../../src/state/pg/placeholders.js";
import { SyncPgClient } from "../../src/state/pg/sync-client.js";
import { showPgUrl } from "../../src/state/pg/url.js";
import { caught } from "./helpers.js";

// Real PostgreSQL (test/setup/postgres.ts); the facade's worker is the built one (npm run build).
const db = postgresDatabase();
let client: SyncPgClient;

beforeAll(() => {
  client = new SyncPgClient(db.url);
  client.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT, n BIGINT)");
});
afterAll(() => client.close());

describe("toPgPlaceholders", () => {
  it("numbers each ? outside literals, quoted names and comments", () => {
    expect(toPgPlaceholders(`SELECT ?, '?', "a?b", 'it''s ?' -- why?\n, ?`).sql).toBe(
      `SELECT $1, '?', "a?b", 'it''s ?' -- why?\n, $2`,
    );
  });

  it("turns @names into $n, one number per distinct name", () => {
    expect(toPgPlaceholders("VALUES (@a, @b_2, @a, '@c')")).toEqual({
      sql: "VALUES ($1, $2, $1, '@c')",
      names: ["a", "b_2"],
    });
  });
});

describe("showPgUrl", () => {
  it("hides the password in the URL and in its parameters", () => {
    const shown = showPgUrl("postgres://u:s3cret@db.example:5432/herd?sslpassword=s3cret2&sslmode=require");
    expect(shown).not.toContain("s3cret");
    expect(shown).toContain("u:***@db.example:5432/herd");
    expect(shown).toContain("sslmode=require");
    expect(showPgUrl("s3cret")).not.toContain("s3cret");
  });
});

describe("SyncPgClient", () => {
  it("runs statements synchronously, ? placeholders and BIGINT counts as numbers", () => {
    client.query("INSERT INTO t (id, note, n) VALUES (?, ?, ?)", [1, "one", 2 ** 40]);
    const { rows } = client.query<{ note: string; n: number; c: number }>(
      "SELECT note, n, (SELECT COUNT(*) FROM t) AS c FROM t WHERE id = ?",
      [1],
    );
    expect(rows).toEqual([{ note: "one", n: 2 ** 40, c: 1 }]);
  });

  it("commits a transaction that returns and rolls back one that throws, nested ones as savepoints", () => {
    client.transaction(() => {
      client.query("INSERT INTO t (id, note) VALUES (?, ?)", [2, "kept"]);
      expect(() =>
        client.transaction(() => {
          client.query("INSERT INTO t (id, note) VALUES (?, ?)", [3, "inner, undone"]);
          throw new Error("inner fails");
        }),
      ).toThrow("inner fails");
    });
    expect(() =>
      client.transaction(() => {
        client.query("INSERT INTO t (id, note) VALUES (?, ?)", [4, "undone"]);
        throw new Error("outer fails");
      }),
    ).toThrow("outer fails");
    expect(client.query("SELECT id FROM t ORDER BY id").rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("passes a statement's own error through with its SQLSTATE", () => {
    const error = caught(() => client.query("INSERT INTO t (id) VALUES (?)", [1]));
    expect(error.code).toBe("23505");
  });

  it("replaces a connection the server ended before the next statement, outside a transaction", async () => {
    const other = new SyncPgClient(db.url);
    const pid = other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid").rows[0]!.pid;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    await admin.end();
    // The first statement after the kill may find out on the wire (its fate unknown: not retried);
    // the one after it runs on a new connection.
    let answer: number | undefined;
    for (let attempt = 0; attempt < 2 && answer === undefined; attempt++) {
      try {
        answer = other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid").rows[0]!.pid;
      } catch (error) {
        expect((error as { code?: string }).code).toBe("STATE_UNREACHABLE");
      }
    }
    expect(answer).toBeDefined();
    expect(answer).not.toBe(pid);
    other.close();
  });

  it("ends a statement past the statement timeout with STATE_UNREACHABLE instead of waiting", () => {
    const slow = new SyncPgClient(db.url, { statementTimeoutMs: 500 });
    const error = caught(() => slow.query("SELECT pg_sleep(5)"));
    expect(error.code).toBe("STATE_UNREACHABLE");
    expect(error.message).toContain("statement timeout");
    // The connection stays usable.
    expect(slow.query("SELECT 1 AS one").rows).toEqual([{ one: 1 }]);
    slow.close();
  });

  it("names the server without its password when the login or the connection fails", () => {
    const url = new URL(db.url);
    url.password = "not-the-password";
    const refused = caught(() => new SyncPgClient(url.toString()));
    expect(refused.code).toBe("STATE_UNREACHABLE");
    expect(refused.message).toContain("password authentication failed");
    expect(refused.message).toContain("Check the user and password in state.url");
    expect(refused.message).not.toContain("not-the-password");

    url.port = "1"; // nothing listens on 127.0.0.1:1
    const down = caught(() => new SyncPgClient(url.toString(), { connectTimeoutMs: 2_000 }));
    expect(down.code).toBe("STATE_UNREACHABLE");
    expect(down.message).toContain("ECONNREFUSED");
    expect(down.message).toContain("Check that the server is running");
    expect(down.message).not.toContain("not-the-password");
  });

  it("leaves no transaction open when the writer lock is not had within the statement timeout", async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const writer = new PgDb(new SyncPgClient(db.url, { statementTimeoutMs: 500 }));
    try {
      // Another process holds the writer lock longer than this one's statement timeout.
      await holder.query(`SELECT pg_advisory_lock(${WRITER_LOCK})`);
      const error = caught(() => writer.transaction(() => writer.exec("SELECT 1")).immediate());
      expect(error.code).toBe("STATE_UNREACHABLE");
      await holder.query(`SELECT pg_advisory_unlock(${WRITER_LOCK})`);
      // Before, the BEGIN had run and nothing ended it: every later statement failed with
      // "current transaction is aborted" for the rest of the process's life.
      writer
        .transaction(() => writer.prepare("INSERT INTO t (id, note) VALUES (?, ?)").run(40, "after"))
        .immediate();
      expect(client.query("SELECT note FROM t WHERE id = ?", [40]).rows).toEqual([{ note: "after" }]);
    } finally {
      writer.close();
      await holder.end();
    }
  });

  it("is out of any transaction after a COMMIT the server refused", () => {
    const other = new SyncPgClient(db.url);
    try {
      other.exec(
        "CREATE TABLE deferred_once (k INTEGER, CONSTRAINT one_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)",
      );
      const error = caught(() =>
        other.transaction(() => {
          other.query("INSERT INTO deferred_once (k) VALUES (1), (1)");
        }),
      );
      expect(error.code).toBe("23505");
      expect(other.inTransaction).toBe(false);
      other.transaction(() => other.query("INSERT INTO deferred_once (k) VALUES (2)"));
      expect(client.query("SELECT k FROM deferred_once").rows).toEqual([{ k: 2 }]);
    } finally {
      other.close();
    }
  });

  it("takes the writer lock every herdctl process shares in an immediate transaction only, as SQLite's BEGIN IMMEDIATE", () => {
    const writer = new PgDb(new SyncPgClient(db.url));
    const other = new SyncPgClient(db.url);
    const otherGets = () =>
      other.query<{ got: boolean }>(`SELECT pg_try_advisory_xact_lock(${WRITER_LOCK}) AS got`).rows[0]!.got;
    try {
      expect(writer.transaction(otherGets).immediate()).toBe(false);
      expect(writer.transaction(otherGets)()).toBe(true);
      expect(otherGets()).toBe(true);
    } finally {
      writer.close();
      other.close();
    }
  });
});
