import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changedKeys, configHash } from "../../src/audit/config-diff.js";
import { StateManager } from "../../src/state/index.js";
import { tempDir } from "../helpers/fleet.js";

describe("audit trail: append-only, hash-chained (real SQLite)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let state: StateManager;

  beforeEach(() => {
    tmp = tempDir();
    state = new StateManager(tmp.dir);
    state.open();
  });
  afterEach(() => {
    state.close();
    tmp.cleanup();
  });

  function seed(n: number) {
    for (let i = 1; i <= n; i++)
      state.audit.append({
        action: "job.trigger",
        via: "cli",
        who: "root (uid 0)",
        target: `job-${i}`,
        detail: { i },
      });
  }

  /** What someone with the database file (and sqlite3) can do: the triggers do not stop them. */
  function tamper(sql: string) {
    state.close();
    const db = new Database(state.dbPath);
    db.exec("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;");
    db.exec(sql);
    db.close();
    state = new StateManager(tmp.dir);
    state.open();
  }

  it("links each entry to the one before and verifies an untouched chain", () => {
    seed(5);
    const entries = state.audit.list();
    expect(entries.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    for (let i = 0; i < entries.length - 1; i++) expect(entries[i]!.prevHash).toBe(entries[i + 1]!.hash);
    expect(entries[4]!.prevHash).toBe("0".repeat(64));
    expect(JSON.parse(entries[0]!.detail!)).toEqual({ i: 5 });
    expect(state.audit.verify()).toEqual({ ok: true, checked: 5 });
  });

  it("refuses UPDATE and DELETE through SQLite itself", () => {
    seed(2);
    const db = new Database(state.dbPath);
    try {
      expect(() => db.prepare("UPDATE audit SET who = 'someone else' WHERE seq = 1").run()).toThrow(
        /append-only/,
      );
      expect(() => db.prepare("DELETE FROM audit WHERE seq = 2").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(state.audit.verify()).toEqual({ ok: true, checked: 2 });
  });

  it("names the edited entry when one row is changed", () => {
    seed(6);
    tamper("UPDATE audit SET who = 'nobody' WHERE seq = 4");
    const result = state.audit.verify();
    expect(result.ok).toBe(false);
    expect(result.break).toMatchObject({ seq: 4, problem: "changed" });
    expect(result.break!.message).toMatch(
      /^audit entry 4 \(.*job\.trigger by cli nobody\) was changed after it was written/,
    );
  });

  it("names where entries were deleted from the middle", () => {
    seed(6);
    tamper("DELETE FROM audit WHERE seq IN (3, 4)");
    const result = state.audit.verify();
    expect(result.break).toMatchObject({ seq: 5, problem: "missing" });
    expect(result.break!.message).toMatch(/^entries 3–4 are missing before audit entry 5/);
  });

  it("catches a chain rewritten from a point on (hash recomputed, link not)", () => {
    seed(4);
    // Re-hashing a changed row alone is not enough: the next row still links to the old hash.
    // Flip the first hex digit: a fixed replacement would leave one hash in 16 unchanged.
    tamper(
      "UPDATE audit SET hash = (CASE WHEN substr(hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END) || substr(hash, 2) WHERE seq = 2",
    );
    const result = state.audit.verify();
    expect(result.break).toMatchObject({ seq: 2, problem: "changed" });
    const after = state.audit.list({ limit: 2 });
    expect(after.map((e) => e.seq)).toEqual([4, 3]);
  });

  it("filters by time, newest first, and limits", () => {
    seed(3);
    expect(state.audit.list({ limit: 2 }).map((e) => e.seq)).toEqual([3, 2]);
    expect(state.audit.list({ since: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it("survives reopening: the next entry links to the last one written before", () => {
    seed(2);
    state.close();
    state = new StateManager(tmp.dir);
    state.open();
    state.audit.append({ action: "config.reload", via: "signal", who: "SIGHUP" });
    expect(state.audit.verify()).toEqual({ ok: true, checked: 3 });
  });
});

describe("config comparison for the audit trail", () => {
  it("hashes independently of key order and lists the changed leaves", () => {
    const a = { fleet: { name: "x" }, agents: { w: { model: "m1", schedules: { s: { interval: 1 } } } } };
    const b = { agents: { w: { schedules: { s: { interval: 1 } }, model: "m1" } }, fleet: { name: "x" } };
    expect(configHash(a)).toBe(configHash(b));
    const c = {
      fleet: { name: "x" },
      agents: { w: { model: "m2", schedules: { s: { interval: 2 }, t: {} } } },
    };
    expect(configHash(c)).not.toBe(configHash(a));
    expect(changedKeys(a, c)).toEqual([
      "agents.w.model",
      "agents.w.schedules.s.interval",
      "agents.w.schedules.t",
    ]);
  });
});
