import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeEach, expect, it } from "vitest";
import { prune } from "../../src/retention/prune.js";
import type { Db } from "../../src/state/db-interface.js";
import type { StateManager } from "../../src/state/index.js";
import { PgDb } from "../../src/state/pg/pg-db.js";
import { SyncPgClient } from "../../src/state/pg/sync-client.js";
import { describeBackends, openState } from "../state/helpers.js";

const DAY = 86_400_000;
const NOW = new Date("2026-12-01T12:00:00Z");
const SESSION_B = "11111111-1111-4111-8111-111111111111";
const SESSION_WAKE = "22222222-2222-4222-8222-222222222222";
const SESSION_GONE = "33333333-3333-4333-8333-333333333333";

/** Bytes under a folder, as the disk holds them: what a prune must give back. */
function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? diskBytes(path) : statSync(path).size;
  }
  return total;
}

/** A second connection to the state's database, past the repositories: SQLite's file or the Postgres schema. */
function rawDb(state: StateManager, url: string | undefined): Db {
  return url === undefined ? new Database(state.dbPath) : new PgDb(new SyncPgClient(url));
}

describeBackends("prune at 10,000 jobs (real database, real files)", (backend) => {
  let state: StateManager;
  let dir: string;
  let url: string | undefined;
  const ids = { aRecent: [] as string[], bOld: [] as string[], bMiddle: [] as string[] };

  beforeEach(() => {
    ({ state, dir, url } = openState());
    for (const list of Object.values(ids)) list.length = 0;
    // Rows written directly, as a year of a busy fleet would have left them: 500 to a statement,
    // so Postgres takes them in 20 round trips rather than 10,000.
    const db = rawDb(state, url);
    const rows: unknown[][] = [];
    const add = (agent: string, ageMs: number) => {
      const id = `job-20260101000000-${rows.length.toString(16).padStart(6, "0")}`;
      rows.push([id, agent, new Date(NOW.getTime() - ageMs).toISOString()]);
      return id;
    };
    // a: 6,000 jobs in the last 10 days; b: 2,000 at 100–120 days, 2,000 at 40–60 days.
    for (let i = 0; i < 6_000; i++) ids.aRecent.push(add("a", (i * 10 * DAY) / 6_000));
    for (let i = 0; i < 2_000; i++) ids.bOld.push(add("b", 100 * DAY + (i * 20 * DAY) / 2_000));
    for (let i = 0; i < 2_000; i++) ids.bMiddle.push(add("b", 40 * DAY + (i * 20 * DAY) / 2_000));
    db.transaction(() => {
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        db.prepare(
          `INSERT INTO jobs (id, agent, trigger_type, status, prompt, runtime, created_at, cost_usd)
           VALUES ${chunk.map(() => "(?, ?, 'schedule', 'completed', 'tick', 'cli', ?, 0.01)").join(", ")}`,
        ).run(...chunk.flat());
      }
    })();
    const list = (some: string[]) => some.map((i) => `'${i}'`).join(", ");
    // Old jobs that must stay: still running, and of sessions that will be continued.
    db.exec(`UPDATE jobs SET status = 'running' WHERE id IN (${list(ids.bOld.slice(0, 5))})`);
    db.exec(`UPDATE jobs SET session_id = '${SESSION_B}' WHERE id IN (${list(ids.bOld.slice(5, 10))})`);
    db.exec(`UPDATE jobs SET session_id = '${SESSION_WAKE}' WHERE id IN (${list(ids.bOld.slice(10, 15))})`);
    const session = db.prepare(
      "INSERT INTO sessions (agent, session_id, working_directory, runtime, docker, created_at, last_used_at) VALUES (?, ?, '/w', 'cli', 0, ?, ?)",
    );
    session.run("b", SESSION_B, NOW.toISOString(), NOW.toISOString());
    // A current session none of whose jobs is left: it protects nothing, and must not stop the rest.
    session.run("a", SESSION_GONE, NOW.toISOString(), NOW.toISOString());
    db.prepare(
      "INSERT INTO wakes (id, agent, session_id, kind, prompt, status, created_at, next_fire_at) VALUES ('wake-20261201000000-aaaaaa', 'b', ?, 'once', 'later', 'pending', ?, ?)",
    ).run(SESSION_WAKE, NOW.toISOString(), NOW.toISOString());
    if (backend === "postgres") {
      // What other machines read (central output, stored transcripts): the same jobs as the files.
      const stored = [...ids.bOld.slice(0, 150), ...ids.bMiddle.slice(0, 100), ...ids.aRecent.slice(0, 100)];
      db.prepare("INSERT INTO herdctl_job_output (job_id, line, json) SELECT unnest(?::text[]), 0, '{}'").run(
        stored,
      );
      const transcript = db.prepare(
        "INSERT INTO herdctl_session_transcripts (agent, session_id, bytes, sha256, content) VALUES ('b', ?, 1, 'x', '\\x0a')",
      );
      // b's current session and the wake's stay; one no job refers to any more goes.
      for (const id of [SESSION_B, SESSION_WAKE, SESSION_GONE]) transcript.run(id);
    }
    db.close();
    const output = (id: string) => writeFileSync(join(state.jobsDir, `${id}.jsonl`), `${"x".repeat(2047)}\n`);
    for (const id of ids.bOld.slice(0, 150)) output(id);
    for (const id of ids.bMiddle.slice(0, 100)) output(id);
    for (const id of ids.aRecent.slice(0, 100)) output(id);
    mkdirSync(join(state.jobsDir, ids.bOld[20]!), { recursive: true });
    writeFileSync(join(state.jobsDir, ids.bOld[20]!, "output.log"), "plain text log\n");
  });

  const limits = { jobs: 90 * DAY, max_jobs_per_agent: 5_000, output: 30 * DAY };

  it("says what a dry run would remove, then removes exactly that and frees what it says", async () => {
    // Postgres: schedule fire keys planned 200, 100 and 10 days ago; the two past `jobs` (90 d) go.
    const fires = state.scheduleFires;
    expect(fires === undefined).toBe(backend === "sqlite");
    if (fires) {
      fires.ensureTable();
      for (const days of [200, 100, 10])
        fires.claim(
          { agent: "b", schedule: "tick", plannedAt: new Date(NOW.getTime() - days * DAY) },
          "test",
        );
    }
    // Postgres: members last heard 200 days ago (stopped; silent, as a killed CLI run leaves it;
    // silent but named by a job still running), and one stopped 10 days ago. Two go.
    const members = state.clusterJobs;
    expect(members === undefined).toBe(backend === "sqlite");
    if (members) {
      members.ensureTables();
      const db = rawDb(state, url);
      const member = db.prepare(
        `INSERT INTO herdctl_workers (id, hostname, pid, max_concurrent, version, heartbeat_at, stopped_at)
         VALUES (?, 'h', 1, 0, 't', CAST(? AS timestamptz), CAST(? AS timestamptz))`,
      );
      const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
      member.run("gone-stopped", ago(200), ago(200));
      member.run("gone-silent-cli", ago(200), null);
      member.run("silent-with-a-job", ago(200), null);
      member.run("recent-stopped", ago(10), ago(10));
      db.prepare("UPDATE jobs SET worker_id = 'silent-with-a-job' WHERE id = ?").run(ids.bOld[0]);
      db.close();
    }
    const before = diskBytes(dir);
    const dry = await prune(state, limits, { now: NOW, dryRun: true });
    expect(dry.fireKeys).toBe(fires ? 2 : undefined);
    expect(dry.members).toBe(members ? 2 : undefined);
    // Kept: 5 running, and the newest job of each continuing session (b's current one, the wake's).
    expect(dry).toMatchObject({ dryRun: true, records: 2_993, outputs: 100, protected: 7 });
    // 143 old outputs go with their records (7 belong to kept jobs), 100 middle-aged ones alone.
    expect(dry.outputBytes).toBe(243 * 2048 + 15);
    expect(state.retention.jobCount()).toBe(10_000);
    expect(diskBytes(dir)).toBe(before);

    // Then for real: old and excess records go with their output, what will be continued stays.
    const report = await prune(state, limits, { now: NOW });
    expect(report.fireKeys).toBe(fires ? 2 : undefined);
    expect(report.members).toBe(members ? 2 : undefined);
    if (members) {
      const db = rawDb(state, url);
      const left = db.prepare("SELECT id FROM herdctl_workers ORDER BY id").all() as { id: string }[];
      db.close();
      expect(left.map((r) => r.id)).toEqual(["recent-stopped", "silent-with-a-job"]);
    }
    if (fires) {
      expect(fires.prune(NOW, { dryRun: true })).toBe(1);
      expect(
        fires.claim({ agent: "b", schedule: "tick", plannedAt: new Date(NOW.getTime() - 10 * DAY) }, "x"),
      ).toBe(false);
    }
    // 1,000 of a beyond its newest 5,000, and b's 2,000 older than 90 days but 7 that stay.
    expect(report).toMatchObject({ dryRun: false, records: 2_993, outputs: 100, protected: 7 });
    expect(state.retention.jobCount()).toBe(7_007);
    const kept = [...ids.bOld.slice(0, 6), ids.bOld[10]!];
    for (const id of kept) expect(state.jobs.get(id)).toBeDefined();
    for (const id of [ids.bOld[6]!, ids.bOld[11]!, ids.bOld[15]!]) expect(state.jobs.get(id)).toBeUndefined();
    expect(state.jobs.get(ids.aRecent[5_999]!)).toBeUndefined();
    expect(state.jobs.get(ids.aRecent[0]!)).toBeDefined();
    // Middle-aged jobs keep their records but lose their output; recent output stays.
    expect(state.jobs.get(ids.bMiddle[0]!)).toBeDefined();
    const left = readdirSync(state.jobsDir).sort();
    expect(left).toEqual([...kept, ...ids.aRecent.slice(0, 100)].map((id) => `${id}.jsonl`).sort());
    if (backend === "sqlite") {
      expect(report.databaseBytesAfter).toBeLessThan(report.databaseBytesBefore);
      expect(before - diskBytes(dir)).toBe(report.freedBytes);
      // The space went back to the file system, not to SQLite's free list.
      const db = new Database(state.dbPath, { readonly: true });
      expect(db.pragma("freelist_count", { simple: true })).toBe(0);
      expect(db.pragma("auto_vacuum", { simple: true })).toBe(2);
      db.close();
    } else {
      // Postgres: the tables are measured (pg_total_relation_size), the output files apart.
      expect(report.databaseBytesBefore).toBeGreaterThan(10_000 * 100);
      expect(before - diskBytes(dir)).toBe(report.outputBytes);
      expect(report.freedBytes).toBe(
        report.outputBytes + Math.max(0, report.databaseBytesBefore - report.databaseBytesAfter),
      );
      // The deleted rows' space was given back to Postgres for reuse: a plain VACUUM ran on jobs.
      const client = new SyncPgClient(url!);
      // (Not n_dead_tup: a backend sends its delete counts up to a second late.)
      const { rows } = client.query<{ vacuums: number }>(
        `SELECT vacuum_count AS vacuums FROM pg_stat_user_tables
           WHERE relname = 'jobs' AND schemaname = current_schema()`,
      );
      expect(rows[0]).toEqual({ vacuums: 1 });
      // The central rows went with the files: pruned records' lines, and lines of output pruned alone.
      const central = client.query<{ id: string }>("SELECT DISTINCT job_id AS id FROM herdctl_job_output");
      expect(central.rows.map((r) => r.id).sort()).toEqual([...kept, ...ids.aRecent.slice(0, 100)].sort());
      const sessions = client.query<{ id: string }>(
        "SELECT session_id AS id FROM herdctl_session_transcripts ORDER BY session_id",
      );
      expect(sessions.rows.map((r) => r.id)).toEqual([SESSION_B, SESSION_WAKE]);
      client.close();
    }
    // A second pass finds nothing more.
    expect(await prune(state, limits, { now: NOW })).toMatchObject({
      records: 0,
      outputs: 0,
      outputBytes: 0,
    });
  });
});
