import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLUSTER_SCHEMA_STAMP,
  ensureClusterSchema,
  JOB_CHANNEL,
  WORK_TABLE,
} from "../../src/cluster/schema.js";
import { openState } from "../state/helpers.js";
import { clusterDatabase } from "./cluster-database.js";

// A worker's start and a daemon's state setup on real PostgreSQL. With the cluster's schema
// current they take no lock on the queue, so they neither wait for its writers nor stop them (a
// start used to take share locks on it, and CI saw a reaper chosen as a deadlock's victim while
// workers started); a schema from another DDL, or job records without their trigger, is made
// current once.
const cluster = clusterDatabase();
const opened: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.query("rollback").then(() => c.end())));
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  opened.push(client);
  return client;
}

/** A session in the middle of a transaction that writes the queue (as a claim, renewal or reaper pass does). */
async function queueWriter(url: string): Promise<void> {
  const writer = await connect(url);
  await writer.query("begin");
  await writer.query(`lock table ${WORK_TABLE} in row exclusive mode`);
}

async function comment(client: pg.Client): Promise<string | null> {
  const { rows } = await client.query<{ c: string | null }>(
    `select obj_description(to_regclass('${WORK_TABLE}'), 'pg_class') as c`,
  );
  return rows[0]?.c ?? null;
}

describe("the cluster schema's stamp", () => {
  it("a worker's start with the schema current waits for no writer of the queue", async () => {
    expect(await comment(cluster.client)).toBe(CLUSTER_SCHEMA_STAMP);
    await queueWriter(cluster.db.url);
    const starter = await connect(cluster.db.url);
    // Without the stamp, `create index … if not exists` would wait for the writer: a lock wait
    // fails at once instead of hanging the test.
    await starter.query("set lock_timeout = '5s'");
    await expect(ensureClusterSchema(starter)).resolves.toBeUndefined();
  });

  it("a schema another DDL made is made current, once, and stamped", async () => {
    const client = cluster.client;
    await client.query(`comment on table ${WORK_TABLE} is 'herdctl cluster schema 00000000'`);
    await client.query(`drop index ${WORK_TABLE}_job`);
    await ensureClusterSchema(client);
    expect(await comment(client)).toBe(CLUSTER_SCHEMA_STAMP);
    const { rows } = await client.query("select 1 from pg_indexes where indexname = $1", [
      `${WORK_TABLE}_job`,
    ]);
    expect(rows).toHaveLength(1);
  });

  it("a daemon's state setup adds the job records' trigger the queue's first creator could not", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    const client = await connect(url!);
    // As when a worker made the queue before the fleet's state had job records: stamped, no trigger.
    await client.query(`drop trigger ${JOB_CHANNEL}_notify on jobs`);
    expect(await comment(client)).toBe(CLUSTER_SCHEMA_STAMP);
    state.clusterJobs!.ensureTables();
    const { rows } = await client.query(
      "select count(*)::int as n from pg_trigger where tgrelid = 'jobs'::regclass and tgname = $1",
      [`${JOB_CHANNEL}_notify`],
    );
    expect(rows).toEqual([{ n: 1 }]);
    // And then, current, it waits for no writer of the queue either.
    await queueWriter(url!);
    state.clusterJobs!.ensureTables();
  });
});
