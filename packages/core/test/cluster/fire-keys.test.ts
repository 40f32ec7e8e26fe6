import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../../test/setup/postgres.js";
import { ensureFireKeys, FIRE_KEYS_TABLE, fireOnce } from "../../src/cluster/fire-keys.js";
import { until } from "../helpers/until.js";
import { killChildren, startChild } from "./children.js";

// Real PostgreSQL; the racing schedulers are separate processes (dist/ code), each with its own
// connection, as two daemons during a leader takeover would be.
const db = postgresDatabase();
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(
    "create table test_enqueued (id serial primary key, agent text, schedule text, planned_at timestamptz, enqueued_by text)",
  );
});
afterAll(() => client.end());
afterEach(killChildren);

describe("schedule fire keys", () => {
  it("1,000 fires raced by two processes: each enqueued exactly once", async () => {
    const FIRES = 1_000;
    const racers = ["scheduler-a", "scheduler-b"].map((name) =>
      startChild("fire-child.mjs", [db.url, name, String(FIRES)]),
    );
    await until(() => racers.every((r) => r.lines.includes("ready")), "both racers connected");
    for (const r of racers) r.process.stdin?.end("go\n");
    const codes = await Promise.all(racers.map((r) => r.exited));
    expect(codes, racers.map((r) => r.stderr()).join("")).toEqual([0, 0]);

    const won = racers.map((r) => JSON.parse(r.lines.at(-1) as string).won as number);
    expect(won[0] + won[1]).toBe(FIRES);
    // Both took some: the two really raced for the same keys.
    expect(Math.min(...won)).toBeGreaterThan(0);

    const keys = await client.query(`select count(*)::int as n from ${FIRE_KEYS_TABLE}`);
    expect(keys.rows[0].n).toBe(FIRES);
    const jobs = await client.query(
      "select count(*)::int as n, count(distinct (agent, schedule, planned_at))::int as distinct_fires from test_enqueued",
    );
    expect(jobs.rows[0]).toEqual({ n: FIRES, distinct_fires: FIRES });
    // Whoever wrote a key enqueued that fire's job, in the same transaction.
    const mismatched = await client.query(
      `select count(*)::int as n from test_enqueued j join ${FIRE_KEYS_TABLE} k using (agent, schedule, planned_at)
       where j.enqueued_by <> k.fired_by`,
    );
    expect(mismatched.rows[0].n).toBe(0);
  });

  it("a failed enqueue leaves no key behind, so the fire can still happen", async () => {
    await ensureFireKeys(client);
    const fire = { agent: "triager", schedule: "nightly", plannedAt: new Date("2026-12-03T02:00:00Z") };
    await expect(
      fireOnce(client, fire, "here", async () => {
        throw new Error("queue unavailable");
      }),
    ).rejects.toThrow("queue unavailable");
    const enqueued: string[] = [];
    expect(await fireOnce(client, fire, "here", async () => void enqueued.push("job"))).toBe(true);
    expect(await fireOnce(client, fire, "here", async () => void enqueued.push("again"))).toBe(false);
    expect(enqueued).toEqual(["job"]);
    // Ordinary statements on the same client work afterwards: no transaction was left open.
    const open = await client.query("select now() = statement_timestamp() as outside_transaction");
    expect(open.rows[0].outside_transaction).toBe(true);
  });
});
