import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../../test/setup/postgres.js";
import { OUTPUT_CHANNEL, OUTPUT_TABLE } from "../../src/cluster/central-schema.js";
import { StateManager } from "../../src/state/manager.js";

// Two state directories on one database stand for two machines: "a" runs the job (its local file
// and the database), "b" has no file for it and reads the database. Real PostgreSQL, no daemon.
const db = postgresDatabase();
let root: string;
let a: StateManager;
let b: StateManager;
let watcher: pg.Client;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "herdctl-central-output-"));
  a = new StateManager(join(root, "a"), { backend: { kind: "postgres", url: db.url } });
  b = new StateManager(join(root, "b"), { backend: { kind: "postgres", url: db.url } });
  a.open();
  b.open();
  watcher = new pg.Client({ connectionString: db.url });
  await watcher.connect();
});
afterAll(async () => {
  await watcher.end();
  a.close();
  b.close();
  rmSync(root, { recursive: true, force: true });
});

const newJob = () => a.jobs.create({ agent: "writer", triggerType: "manual", prompt: "hi", runtime: "cli" });

async function until(check: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > 60_000) throw new Error(`${what}: not seen within 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("job output stored in PostgreSQL (central output)", () => {
  it("lines appended in one turn are one insert with one NOTIFY naming only the job", async () => {
    const job = a.jobs.start(newJob().id);
    const notices: string[] = [];
    watcher.on("notification", (n) => notices.push(n.payload ?? ""));
    await watcher.query(`listen ${OUTPUT_CHANNEL}`);
    for (let i = 0; i < 300; i++) a.appendJobOutput(job.id, { type: "assistant", n: i });
    await a.jobOutputStored(job.id);
    await until(() => notices.length >= 1, "the notification");
    const { rows } = await watcher.query(`select count(*)::int as n from ${OUTPUT_TABLE} where job_id = $1`, [
      job.id,
    ]);
    expect(rows[0].n).toBe(300);
    // A notification per statement that stored lines (it rides in the insert): one flush, one.
    await new Promise((r) => setTimeout(r, 300));
    expect(notices).toEqual([job.id]);
    await watcher.query(`unlisten ${OUTPUT_CHANNEL}`);
  });

  it("another machine follows a running job live and stops at its end; pages and counts match", async () => {
    const job = a.jobs.start(newJob().id);
    expect(existsSync(b.jobOutputPath(job.id))).toBe(false);
    const seen: unknown[] = [];
    const following = (async () => {
      for await (const line of b.followJobOutput(job.id)) seen.push(line.message);
    })();
    let ended = false;
    void following.then(() => (ended = true));
    for (let i = 0; i < 5; i++) {
      a.appendJobOutput(job.id, { type: "assistant", n: i });
      await until(() => seen.length === i + 1, `line ${i} on the other machine`);
    }
    expect(ended).toBe(false);
    a.appendJobOutput(job.id, { type: "result", n: 5 });
    await a.jobOutputStored(job.id);
    a.jobs.finish(job.id, { status: "completed" });
    a.central?.announce(job.id);
    await following;
    expect(seen).toEqual(
      [0, 1, 2, 3, 4].map((n) => ({ type: "assistant", n })).concat({ type: "result", n: 5 }),
    );

    expect(b.jobOutputLineCount(job.id)).toBe(6);
    expect(b.readJobOutput(job.id, { fromLine: 4 }).map((l) => l.line)).toEqual([4, 5]);
    const page = b.readJobOutputPage(job.id, { fromLine: 1, limit: 2, maxBytes: 1 << 20 });
    expect(page.lines.map((l) => l.line)).toEqual([1, 2]);
    expect(page.nextLine).toBe(3);
    expect(b.readJobOutputPage(job.id, { fromLine: 0, limit: 100, maxBytes: 1 << 20 })).toEqual(
      a.readJobOutputPage(job.id, { fromLine: 0, limit: 100, maxBytes: 1 << 20 }),
    );
  });

  it("a reader that went away reads what it missed from the table, not from notifications", async () => {
    const job = a.jobs.start(newJob().id);
    for (let i = 0; i < 3; i++) a.appendJobOutput(job.id, { n: i });
    await a.jobOutputStored(job.id);
    // Lines stored while nobody listened: no notification reaches the reader that comes back.
    for (let i = 3; i < 7; i++) a.appendJobOutput(job.id, { n: i });
    await a.jobOutputStored(job.id);
    a.jobs.finish(job.id, { status: "completed" });
    const again: number[] = [];
    for await (const line of b.followJobOutput(job.id, { fromLine: 3 }))
      again.push((line.message as { n: number }).n);
    expect(again).toEqual([3, 4, 5, 6]);
  });

  it("the job's own machine keeps reading its local file (as jobs recorded before central output do)", async () => {
    const job = a.jobs.start(newJob().id);
    a.appendJobOutput(job.id, { n: 0 });
    await a.jobOutputStored(job.id);
    // Changed in the database only: a's reads come from its file, b's from the table.
    await watcher.query(`update ${OUTPUT_TABLE} set json = '{"n":"db"}' where job_id = $1`, [job.id]);
    expect(a.readJobOutput(job.id).map((l) => l.message)).toEqual([{ n: 0 }]);
    expect(b.readJobOutput(job.id).map((l) => l.message)).toEqual([{ n: "db" }]);
  });

  it("SQLite writes nothing central and reads its files as before", () => {
    const lite = new StateManager(join(root, "lite"));
    lite.open();
    try {
      expect(lite.central).toBeUndefined();
      const job = lite.jobs.start(
        lite.jobs.create({ agent: "writer", triggerType: "manual", prompt: "hi", runtime: "cli" }).id,
      );
      lite.appendJobOutput(job.id, { n: 1 });
      expect(lite.readJobOutput(job.id).map((l) => l.message)).toEqual([{ n: 1 }]);
    } finally {
      lite.close();
    }
  });
});
