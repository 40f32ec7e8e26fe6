// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the command line and fleet file hold a literal ${VAR}
import type { ChildProcess } from "node:child_process";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { StateManager } from "../../core/src/state/manager.js";
import { assertBuilt, type CliResult, herdctl, json, tempDir, writeFleet } from "./helpers/cli.js";
import { startDaemon, stopDaemon } from "./helpers/daemon.js";

// `herdctl state migrate` on a real `.herdctl/`: jobs run by claude (against the stand-in) through
// a real daemon, plus bulk rows in every table written through the state's own repositories; then
// copied into PostgreSQL by the built CLI and read back by the same commands on the same fleet.
const target = postgresDatabase();
const broken = postgresDatabase();
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;
const claudeJobs: string[] = [];

const TABLES = [
  "jobs",
  "sessions",
  "schedules",
  "events",
  "wakes",
  "chats",
  "chat_messages",
  "audit",
  "audit_checkpoint",
  "usage_pauses",
  "agent_memory",
  "usage_versions",
  "approvals",
];

const run = (args: string[], env: Record<string, string> = {}) =>
  herdctl(args, { cwd: dir, env, timeoutMs: 240_000 });

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  return r;
}

function sqliteCounts(): Record<string, number> {
  const db = new Database(join(dir, ".herdctl", "herdctl.db"), { readonly: true });
  try {
    return Object.fromEntries(
      TABLES.map((t) => [t, (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n]),
    );
  } finally {
    db.close();
  }
}

async function pgCounts(url: string): Promise<Record<string, number>> {
  const client = await connectAsTestRole(url);
  try {
    const tables = (
      await client.query<{ t: string }>(
        "select table_name as t from information_schema.tables where table_schema = current_schema()",
      )
    ).rows.map((r) => r.t);
    const counts: Record<string, number> = {};
    for (const t of TABLES) {
      counts[t] = tables.includes(t)
        ? Number((await client.query(`select count(*)::int as n from ${t}`)).rows[0].n)
        : -1;
    }
    return counts;
  } finally {
    await client.end();
  }
}

/** Thousands of rows in every table, through the repositories (as the daemon writes them). */
function seedBulk(): void {
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  try {
    const now = new Date();
    state.transaction(() => {
      let previous: string | undefined;
      for (let i = 0; i < 3_000; i++) {
        const job = state.jobs.create({
          agent: i % 2 ? "greeter" : "scribe",
          triggerType: i % 3 ? "schedule" : "manual",
          schedule: i % 3 ? "hourly" : null,
          prompt: `bulk prompt ${i} — ünïcode 🐑`,
          runtime: i % 2 ? "cli" : "sdk",
          retryOf: i % 10 === 9 ? previous : null,
        });
        state.jobs.start(job.id, { pid: 1000 + i });
        state.jobs.finish(job.id, {
          status: i % 7 ? "completed" : "failed",
          exitReason: i % 7 ? "success" : "error",
        });
        state.events.append({ type: "job.finished", agent: job.agent, jobId: job.id, data: { i } });
        previous = job.id;
      }
      for (let c = 0; c < 3; c++) {
        const chat = state.chats.create({ agent: "greeter", title: `chat ${c}`, surface: "web" }, now);
        for (let m = 0; m < 40; m++)
          state.chats.addMessage(
            chat.id,
            { jobId: claudeJobs[0]!, role: m % 2 ? "assistant" : "user", text: `message ${m}` },
            now,
          );
      }
      for (let v = 0; v < 5; v++) state.memory.save("greeter", { content: `memory v${v}`, source: "edit" });
      for (let a = 0; a < 12; a++)
        state.approvals.create({
          jobId: claudeJobs[1]!,
          agent: "scribe",
          tool: "Bash",
          input: JSON.stringify({ command: `echo ${a}` }),
          inputKey: `key-${a}`,
          rule: null,
          requestedAt: now,
          expiresAt: new Date(now.getTime() + 60_000),
          onTimeout: "deny",
        });
      for (let w = 0; w < 4; w++)
        state.wakes.create({
          agent: "greeter",
          jobId: claudeJobs[0]!,
          sessionId: "11111111-2222-3333-4444-555555555555",
          kind: "once",
          prompt: `wake ${w}`,
          nextFireAt: new Date(now.getTime() + 3_600_000),
        });
      for (const schedule of ["hourly", "nightly"])
        state.schedules.upsert("greeter", schedule, { nextRunAt: now, lastStatus: "completed" });
      state.usagePauses.put({
        credential: "c".repeat(64),
        label: "API key cccccccc",
        pausedAt: now.toISOString(),
        until: new Date(now.getTime() + 3_600_000).toISOString(),
        source: "unknown",
        message: "usage limit reached",
        jobId: claudeJobs[0]!,
      });
      for (let e = 0; e < 25; e++) state.audit.append({ action: "test.bulk", via: "cli", who: "tester" });
    });
  } finally {
    state.close();
  }
}

/** Text output with its relative times ("13s ago") and their padding masked: they move while the test runs. */
const steady = (text: string) => text.replaceAll(/\b\d+[smhd] ago\b */g, "<ago> ");

/** What a user sees of the history: the list, each claude job and its output. */
async function readBack(env: Record<string, string> = {}): Promise<string[]> {
  const seen = [ok(await run(["--json", "jobs", "--limit", "200"], env)).stdout];
  seen.push(steady(ok(await run(["--no-color", "jobs", "--limit", "50"], env)).stdout));
  for (const id of claudeJobs) {
    seen.push(ok(await run(["--json", "job", id], env)).stdout);
    seen.push(steady(ok(await run(["logs", "--job", id], env)).stdout));
  }
  return seen;
}

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-migrate-"));
  await writeFleet(dir);
  daemon = await startDaemon(dir);
  for (const agent of ["greeter", "scribe"]) {
    const r = ok(await run(["--json", "trigger", agent, "--wait"]));
    claudeJobs.push(json<{ id: string; status: string }>(r).id);
  }
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

describe("herdctl state migrate (SQLite → PostgreSQL)", () => {
  it("refuses while a daemon runs on the SQLite state, and writes nothing", async () => {
    const r = await run(["state", "migrate", "--to", "${TARGET}"], { TARGET: target.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`pid ${daemon!.pid}) is running on this state directory`);
    expect(await pgCounts(target.url)).toEqual(Object.fromEntries(TABLES.map((t) => [t, -1])));
    await stopDaemon(daemon!);
    daemon = undefined;
    seedBulk();
  });

  it("a failure half-way (a constraint the target holds) leaves the target as it was", async () => {
    // The schema made ahead (by opening the state there), with one constraint more: chat messages
    // longer than 8 characters are refused, after jobs, events and chats were already sent.
    const prepared = new StateManager(join(dir, "unused-state"), {
      backend: { kind: "postgres", url: broken.url },
    });
    prepared.open();
    prepared.close();
    const client = await connectAsTestRole(broken.url);
    await client.query("alter table chat_messages add constraint short_text check (length(text) < 9)");
    await client.end();
    const before = await pgCounts(broken.url);
    const r = await run(["state", "migrate", "--to", "${TARGET}"], { TARGET: broken.url });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("short_text");
    expect(r.stdout).toMatch(/jobs\s+3,002/);
    expect(await pgCounts(broken.url)).toEqual(before);
    expect(before).toMatchObject({ jobs: 0, events: 0, audit: 0, audit_checkpoint: 1 });
  });

  it("--dry-run counts every table and writes nothing, not even the schema", async () => {
    const r = ok(
      await run(["--json", "state", "migrate", "--dry-run", "--to", "${TARGET}"], { TARGET: target.url }),
    );
    const report = json<{ dryRun: boolean; tables: { table: string; rows: number }[]; server: string }>(r);
    expect(report.dryRun).toBe(true);
    expect(Object.fromEntries(report.tables.map((t) => [t.table, t.rows]))).toEqual(sqliteCounts());
    expect(report.server).toContain(":***@");
    expect(await pgCounts(target.url)).toEqual(Object.fromEntries(TABLES.map((t) => [t, -1])));

    // Bad targets are named and refused before anything is opened.
    const unset = await run(["state", "migrate", "--to", "${NOT_SET_ANYWHERE}"]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("NOT_SET_ANYWHERE is not set in the environment");
    const http = await run(["state", "migrate", "--to", "https://user:s3cret@example.invalid/db"]);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain("is a https URL, not a postgres:// one");
    expect(http.stderr).not.toContain("s3cret");
    const nowhere = await run(["state", "migrate"]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain("say where to copy the state");
  });

  it("copies every table, and jobs, job and logs answer the same from PostgreSQL", async () => {
    const counts = sqliteCounts();
    expect(counts.jobs).toBe(3_002);
    for (const t of TABLES) expect(counts[t], t).toBeGreaterThan(0);
    const before = await readBack();

    const r = ok(await run(["state", "migrate", "--to", "${TARGET}"], { TARGET: target.url }));
    expect(r.stdout).toMatch(/jobs\s+3,002/);
    expect(r.stdout + r.stderr).not.toContain(`:${new URL(target.url).password}@`);
    expect(await pgCounts(target.url)).toEqual(counts);

    await appendFile(join(dir, "herdctl.yaml"), "state:\n  backend: postgres\n  url: ${HERDCTL_STATE_URL}\n");
    const env = { HERDCTL_STATE_URL: target.url };
    expect(await readBack(env)).toEqual(before);

    // Identity columns go on after the copied ids, and the chats keep their order.
    const client = await connectAsTestRole(target.url);
    try {
      const maxEvent = Number((await client.query("select max(id) as m from events")).rows[0].m);
      const next = await client.query(
        "insert into events (at, type) values ('2030-01-01T00:00:00.000Z', 'x') returning id",
      );
      expect(Number(next.rows[0].id)).toBe(maxEvent + 1);
      const audit = ok(await run(["--json", "audit", "verify"], env));
      expect(audit.stdout).toMatch(/"ok":\s*true|intact/);
    } finally {
      await client.end();
    }

    // A second run into the now-full database is refused and changes nothing.
    const again = await run(["state", "migrate"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already holds herdctl state: ");
    expect(again.stderr).toContain("jobs (3002)");
    expect(again.stderr).not.toContain(`:${new URL(target.url).password}@`);
    expect((await pgCounts(target.url)).jobs).toBe(3_002);
  });
});
