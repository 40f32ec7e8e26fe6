import pg from "pg";
import { describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../../test/setup/postgres.js";

// The helper every Postgres test goes through (test/setup/postgres.ts).
const db = postgresDatabase();

describe("the tests' PostgreSQL helper", () => {
  it("gives the file a database of its own, empty and writable", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query("select current_database() as name");
      expect(rows[0].name).toMatch(/^herdctl_t_\d+_[0-9a-f]{8}$/);
      const tables = await client.query(
        "select count(*)::int as n from pg_tables where schemaname = 'public'",
      );
      expect(tables.rows[0].n).toBe(0);
      await client.query("create table t (x int)");
    } finally {
      await client.end();
    }
  });

  it("without a server, fails saying to run scripts/setup-machine.sh, and shows no password", async () => {
    // Port 1 on loopback: nothing listens there.
    const error = await connectAsTestRole(
      "postgres://herdctl_test:s3cret-word@127.0.0.1:1/herdctl_test",
    ).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(
      /not reachable at postgres:\/\/herdctl_test@127\.0\.0\.1:1\/herdctl_test .*ECONNREFUSED/,
    );
    expect(error?.message).toContain("bash scripts/setup-machine.sh");
    expect(error?.message).not.toContain("s3cret-word");
  });
});
