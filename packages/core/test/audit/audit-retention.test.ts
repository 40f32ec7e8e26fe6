import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prune } from "../../src/retention/prune.js";
import { StateManager } from "../../src/state/index.js";
import { tempDir } from "../helpers/fleet.js";

const DAY = 86_400_000;

describe("audit retention: old entries pruned, the chain still verifiable (real SQLite)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let state: StateManager;
  let now: Date;

  const open = () => {
    state = new StateManager(tmp.dir, { clock: () => now });
    state.open();
  };
  beforeEach(() => {
    tmp = tempDir();
    now = new Date("2026-01-01T00:00:00Z");
    open();
  });
  afterEach(() => {
    state.close();
    tmp.cleanup();
  });

  /** One entry a day for `days` days. */
  function seed(days: number) {
    for (let i = 1; i <= days; i++) {
      state.audit.append({
        action: "job.trigger",
        via: "cli",
        who: "root (uid 0)",
        target: `job-${i}`,
        detail: { i },
      });
      now = new Date(now.getTime() + DAY);
    }
  }

  /** Someone with the file and sqlite3: triggers dropped, then `sql`. */
  function tamper(sql: string) {
    state.close();
    const db = new Database(state.dbPath);
    db.exec(
      "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TRIGGER audit_checkpoint_forward;",
    );
    db.exec(sql);
    db.close();
    open();
  }

  it("prunes by state.retention.audit only, records the prune, and verify starts after the checkpoint", async () => {
    seed(10);
    state.jobs.create({ agent: "a", prompt: "p", triggerType: "manual", runtime: "cli" });
    // Job limits alone never touch the audit trail.
    const jobsOnly = await prune(state, { jobs: DAY }, { now });
    expect(jobsOnly.auditEntries).toBe(0);
    expect(state.audit.list()).toHaveLength(10);

    const dry = await prune(state, { audit: 4.5 * DAY }, { now, dryRun: true });
    expect(dry.auditEntries).toBe(6);
    expect(state.audit.list()).toHaveLength(10);

    const report = await prune(state, { audit: 4.5 * DAY }, { now, actor: { via: "cli", who: "erin" } });
    expect(report.auditEntries).toBe(6);
    const left = state.audit.list();
    expect(left.map((e) => e.seq)).toEqual([11, 10, 9, 8, 7]);
    expect(left[0]).toMatchObject({ action: "audit.prune", via: "cli", who: "erin" });
    expect(JSON.parse(left[0]!.detail!)).toMatchObject({ entries: 6, throughSeq: 6 });
    expect(state.audit.verify()).toEqual({ ok: true, checked: 5, from: 7 });

    // The chain goes on across a reopen and a second prune.
    state.close();
    open();
    state.audit.append({ action: "config.reload", via: "signal", who: "SIGHUP" });
    now = new Date(now.getTime() + 30 * DAY);
    // Never the newest entry: 7–11 go, 12 stays.
    expect((await prune(state, { audit: DAY }, { now })).auditEntries).toBe(5);
    expect(state.audit.verify()).toMatchObject({ ok: true, from: 12 });
  });

  it("names an entry edited after a prune", async () => {
    seed(8);
    await prune(state, { audit: 3.5 * DAY }, { now });
    tamper("UPDATE audit SET who = 'mallory' WHERE seq = 7");
    const result = state.audit.verify();
    expect(result.ok).toBe(false);
    expect(result.break).toMatchObject({ seq: 7, problem: "changed" });
    expect(result.break!.message).toMatch(
      /^audit entry 7 \(.*by cli mallory\) was changed after it was written/,
    );
  });

  it("still refuses deletes past the checkpoint, and a checkpoint moved to hide a deletion shows", async () => {
    seed(6);
    await prune(state, { audit: 3.5 * DAY }, { now });
    const db = new Database(state.dbPath);
    try {
      expect(() => db.prepare("DELETE FROM audit WHERE seq = 5").run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE audit_checkpoint SET through_seq = 1").run()).toThrow(
        /only moves forward/,
      );
      expect(() =>
        db.prepare("UPDATE audit_checkpoint SET through_seq = 5, through_hash = 'x'").run(),
      ).toThrow(/only moves forward/);
    } finally {
      db.close();
    }
    const five = state.audit.list().find((e) => e.seq === 5)!;
    tamper(
      `UPDATE audit_checkpoint SET through_seq = 5, through_hash = '${five.hash}'; DELETE FROM audit WHERE seq <= 5;`,
    );
    const result = state.audit.verify();
    expect(result.ok).toBe(false);
    expect(result.break).toMatchObject({ problem: "checkpoint", seq: 5 });
    expect(result.break!.message).toMatch(/matches no audit\.prune entry/);
  });
});
