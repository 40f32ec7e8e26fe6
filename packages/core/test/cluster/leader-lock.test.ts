import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../../test/setup/postgres.js";
import { LeaderLock } from "../../src/cluster/leader-lock.js";
import { until } from "../helpers/until.js";
import { type Child, killChildren, startChild } from "./children.js";

// Real PostgreSQL, and the competitors are separate processes (dist/ code), as daemons are: a
// lock held by a connection is released by the server only when that process's connection ends.
const db = postgresDatabase();

// The takeover bound these tests hold a follower to, after the leader's connection is gone:
// one follower interval (500 ms here) plus a query, with room for a machine at load 20+.
const TAKEOVER_BOUND_MS = 5_000;

afterEach(killChildren);

async function sessions(name: string): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select count(*)::int as n from pg_stat_activity where application_name = $1",
      [`herdctl leader:${name}`],
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

function elected(child: Child): number | undefined {
  return child.events.find((e) => e.event === "elected")?.at;
}

/** Starts two competitors and returns them as [leader, follower] once both are connected. */
async function race(name: string, intervalMs: number, leaseMs: number): Promise<[Child, Child]> {
  const a = startChild("leader-child.mjs", [db.url, name, String(intervalMs), String(leaseMs)]);
  const b = startChild("leader-child.mjs", [db.url, name, String(intervalMs), String(leaseMs)]);
  await until(() => elected(a) !== undefined || elected(b) !== undefined, "a leader elected");
  let connected = 0;
  const t0 = Date.now();
  while (connected < 2 && Date.now() - t0 < 60_000) {
    connected = await sessions(name);
    if (connected < 2) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(connected, `stderr: ${a.stderr()}${b.stderr()}`).toBe(2);
  // Both are connected and one holds the lock: the other must still be following.
  return elected(a) !== undefined ? [a, b] : [b, a];
}

describe("leader election through an advisory lock (real PostgreSQL, separate processes)", () => {
  it("one of two processes leads; after kill -9 of the leader the other takes over within the bound", async () => {
    const [leader, follower] = await race("kill", 500, 2_000);
    expect(elected(follower)).toBeUndefined();

    const killedAt = Date.now();
    leader.process.kill("SIGKILL");
    await until(() => elected(follower) !== undefined, "the follower elected", 30_000);
    const takeover = (elected(follower) as number) - killedAt;
    expect(takeover).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(follower.events.filter((e) => e.event === "elected")).toHaveLength(1);
  });

  it("a frozen leader steps down before the other takes over, and reports the loss when it wakes", async () => {
    // lease 1 s: the server ends the frozen leader's silent session after 2 s.
    const [leader, follower] = await race("freeze", 250, 1_000);
    leader.process.kill("SIGSTOP");
    await until(() => elected(follower) !== undefined, "the follower elected", 30_000);
    const takeoverAt = elected(follower) as number;
    leader.process.kill("SIGCONT");
    await until(
      () => leader.events.some((e) => e.event === "lost"),
      "the old leader reporting its loss",
      30_000,
    );

    const lost = leader.events.find((e) => e.event === "lost");
    expect(String(lost?.reason)).not.toBe("stopped");
    // What a scheduler asking `isLeader` saw: true only before the other was elected.
    const claims = leader.events.filter((e) => e.event === "leader" && e.value === true);
    expect(claims.length).toBeGreaterThan(0);
    for (const claim of claims) expect(claim.at).toBeLessThan(takeoverAt);
    expect(leader.events.at(-1)?.event === "leader" ? leader.events.at(-1)?.value : false).toBe(false);
  });

  it("reports lost leadership when its connection is ended, then campaigns again", async () => {
    const events: string[] = [];
    const lock = new LeaderLock({
      connectionString: db.url,
      name: "terminate",
      intervalMs: 200,
      leaseMs: 1_000,
      onElected: () => events.push("elected"),
      onLost: (reason) => events.push(`lost: ${reason}`),
    });
    lock.start();
    try {
      await until(() => lock.isLeader, "elected");
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1",
        ["herdctl leader:terminate"],
      );
      await admin.end();
      await until(() => events.some((e) => e.startsWith("lost")), "the loss reported", 30_000);
      expect(lock.isLeader).toBe(false);
      await until(() => lock.isLeader, "elected again", 30_000);
      expect(events[0]).toBe("elected");
      expect(events[1]).toMatch(/^lost: .*(terminat|closed|Connection)/i);
      expect(events[2]).toBe("elected");
    } finally {
      await lock.stop();
    }
    expect(events.at(-1)).toBe("lost: stopped");
    expect(await sessions("terminate")).toBe(0);
  });

  it("rejects a lease shorter than two intervals, saying which to change", () => {
    expect(
      () => new LeaderLock({ connectionString: db.url, name: "x", intervalMs: 1_000, leaseMs: 1_500 }),
    ).toThrow(/leaseMs \(1500\) must be at least twice intervalMs \(1000\)/);
  });
});
