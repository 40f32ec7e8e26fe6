import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { postgresDatabase, type TestDatabase } from "../../../../test/setup/postgres.js";
import { ensureClusterSchema } from "../../src/cluster/schema.js";

/** The file's own database with the cluster's tables, and a connection to it for the test's checks. */
export function clusterDatabase(): { db: TestDatabase; readonly client: pg.Client } {
  const db = postgresDatabase();
  let client: pg.Client | undefined;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await ensureClusterSchema(client);
  });
  afterAll(() => client?.end());
  return {
    db,
    get client() {
      if (!client) throw new Error("clusterDatabase(): the connection exists only inside the file's tests");
      return client;
    },
  };
}
