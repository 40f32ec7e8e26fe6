import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError, FleetManager } from "../../src/index.js";
import { StateManager } from "../../src/state/index.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";

const PER_AGENT = 4_000;
const KEEP = 1_000;
const AGENTS = ["a", "b"];

/** Job rows written directly, as a busy fleet's year would have left them. */
function fillJobs(dbPath: string): void {
  const db = new Database(dbPath);
  const insert = db.prepare(
    `INSERT INTO jobs (id, agent, trigger_type, status, prompt, runtime, created_at, cost_usd)
     VALUES (?, ?, 'schedule', 'completed', 'tick', 'cli', ?, 0.01)`,
  );
  const start = Date.parse("2026-01-01T00:00:00Z");
  let n = 0;
  db.transaction(() => {
    for (const agent of AGENTS)
      for (let i = 0; i < PER_AGENT; i++, n++)
        insert.run(
          `job-20260101000000-${n.toString(16).padStart(6, "0")}`,
          agent,
          new Date(start + n * 60_000).toISOString(),
        );
  })();
  db.close();
}

function countJobs(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM jobs").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Real SQLite, real worker thread (the built one: npm run build), no model involved.
describe("prune in a worker thread of the daemon", () => {
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager;
  let dbPath: string;

  beforeEach(async () => {
    tmp = tempDir();
    await writeFleet(tmp.dir, "runtime: cli\n");
    const stateDir = join(tmp.dir, ".herdctl");
    const schema = new StateManager(stateDir);
    schema.open();
    dbPath = schema.dbPath;
    schema.close();
    fillJobs(dbPath);
    fleet = new FleetManager({ config: tmp.dir, stateDir, watchConfig: false, env: {} });
    await fleet.start();
  });
  afterEach(async () => {
    await fleet.stop({ timeoutMs: 1_000 });
    tmp.cleanup();
  });

  it("removes what it plans while the daemon's own connection reads and writes, and refuses a second prune meanwhile", async () => {
    const entriesBefore = fleet.verifyAudit().checked;
    const running = fleet.prune({ limits: { max_jobs_per_agent: KEEP }, actor: { via: "cli", who: "erin" } });
    const second = fleet.prune({ dryRun: true, limits: { max_jobs_per_agent: KEEP } });
    await expect(second).rejects.toThrow(FleetError);
    await expect(second).rejects.toMatchObject({
      code: "FLEET_PRUNE_RUNNING",
      message: expect.stringMatching(
        /a prune is already running \(started .* by cli erin; .*\); wait for it to finish/,
      ),
    });
    // The daemon's connection keeps working beside the worker's: a write waits at most one short
    // delete transaction (busy_timeout), reads are never blocked under WAL.
    let reads = 0;
    let done = false;
    void running.finally(() => {
      done = true;
    });
    while (!done) {
      expect(fleet.state.jobs.list({ limit: 50 }).jobs.length).toBe(50);
      fleet.recordAudit("schedule.disable", { via: "cli", who: "erin" }, "a/poll");
      reads++;
      await new Promise((r) => setTimeout(r, 10));
    }
    const report = await running;
    expect(report).toMatchObject({
      dryRun: false,
      stopped: false,
      records: (PER_AGENT - KEEP) * AGENTS.length,
    });
    expect(reads).toBeGreaterThan(0);
    expect(countJobs(dbPath)).toBe(KEEP * AGENTS.length);
    expect(report.databaseBytesAfter).toBeLessThan(report.databaseBytesBefore);
    expect(fleet.audit({ limit: 1 })[0]).toMatchObject({ action: "state.prune", via: "cli", who: "erin" });
    expect(fleet.verifyAudit()).toMatchObject({ ok: true, checked: entriesBefore + reads + 1 });
    // Once it is over, another may start.
    expect(await fleet.prune({ limits: { max_jobs_per_agent: KEEP } })).toMatchObject({ records: 0 });
  });

  it("a stopping daemon stops a running prune after its current step, keeping what it removed", async () => {
    const running = fleet.prune({ limits: { max_jobs_per_agent: 10 } });
    const before = PER_AGENT * AGENTS.length;
    await until(() => countJobs(dbPath) < before, "the prune to delete its first records");
    await fleet.stop({ timeoutMs: 1_000 });
    const report = await running;
    expect(report.stopped).toBe(true);
    expect(report.records).toBeGreaterThan(0);
    expect(report.records).toBeLessThan((PER_AGENT - 10) * AGENTS.length);
    // Every delete transaction either committed whole or not at all, and the count says which.
    expect(countJobs(dbPath)).toBe(before - report.records);
    const check = new Database(dbPath, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
  });
});
