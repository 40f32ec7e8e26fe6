// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import type { ChildProcess } from "node:child_process";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, herdctl, json, tempDir, writeFleet } from "./helpers/cli.js";
import { startDaemon, stopDaemon } from "./helpers/daemon.js";

// A fleet whose state is PostgreSQL (a database of this file's own), run end to end by the built
// CLI: the daemon records a real claude job (against the stand-in), and the short commands read
// it back through the daemon and, with none running, from the database the fleet file names.
const db = postgresDatabase();
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;
let env: Record<string, string>;
let jobId: string;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-pg-"));
  await writeFleet(dir);
  await appendFile(join(dir, "herdctl.yaml"), "state:\n  backend: postgres\n  url: ${HERDCTL_STATE_URL}\n");
  env = { HERDCTL_STATE_URL: db.url };
  daemon = await startDaemon(dir, env);
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

const run = (args: string[]) => herdctl(args, { cwd: dir, env });

/** The job's row as PostgreSQL holds it: proof it was recorded there, not in a SQLite file. */
async function rowInDatabase(id: string): Promise<{ status: string; agent: string } | undefined> {
  const client = await connectAsTestRole(db.url);
  try {
    return (await client.query("select status, agent from jobs where id = $1", [id])).rows[0];
  } finally {
    await client.end();
  }
}

describe("herdctl start with state.backend: postgres", () => {
  it("runs a job and answers jobs, job and logs about it through the daemon", async () => {
    const triggered = await run(["--json", "trigger", "greeter", "--wait"]);
    expect(triggered.stderr).toBe("");
    expect(triggered.code).toBe(0);
    const job = json<{ id: string; status: string }>(triggered);
    expect(job.status).toBe("completed");
    jobId = job.id;
    expect(await rowInDatabase(jobId)).toEqual({ status: "completed", agent: "greeter" });

    const jobs = json<{ jobs: { id: string }[] }>(await run(["--json", "jobs"]));
    expect(jobs.jobs.map((j) => j.id)).toEqual([jobId]);
    const shown = json<{ job: { id: string; status: string } }>(await run(["--json", "job", jobId]));
    expect(shown.job).toMatchObject({ id: jobId, status: "completed" });
    const logs = await run(["logs", "--job", jobId]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.length).toBeGreaterThan(0);
  });

  it("with no daemon running, the short commands read the fleet's database", async () => {
    await stopDaemon(daemon!);
    daemon = undefined;
    const jobs = await run(["--json", "jobs"]);
    expect(jobs.stderr).toBe("");
    expect(json<{ jobs: { id: string }[] }>(jobs).jobs.map((j) => j.id)).toEqual([jobId]);
    expect(
      json<{ job: { id: string; status: string } }>(await run(["--json", "job", jobId])).job,
    ).toMatchObject({
      id: jobId,
      status: "completed",
    });
    const logs = await run(["logs", "--job", jobId]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.length).toBeGreaterThan(0);
    const status = json<{ stateSize: { databaseBytes: number; jobs: number } }>(
      await run(["--json", "status"]),
    );
    // pg_total_relation_size of the fleet's tables: tens of pages at least, not a SQLite file's size.
    expect(status.stateSize.jobs).toBe(1);
    expect(status.stateSize.databaseBytes).toBeGreaterThan(100_000);
    const usage = json<{ totals: { jobs: number } }>(await run(["--json", "usage"]));
    expect(usage.totals.jobs).toBe(1);
    const audit = json<{ entries: { action: string }[] }>(await run(["--json", "audit"]));
    expect(audit.entries.map((e) => e.action)).toEqual(["job.trigger", "fleet.start"]);
    // The job holds greeter's current session: a prune of every job older than a second keeps it.
    const prune = json<{ records: number; protected: number }>(
      await run(["--json", "prune", "--dry-run", "--older-than", "1s"]),
    );
    expect(prune).toMatchObject({ records: 0, protected: 1 });
    const sessions = await run(["--json", "sessions"]);
    expect(sessions.code).toBe(0);
    expect(sessions.stdout).toContain("greeter");
  });

  it("doctor checks the fleet's PostgreSQL: reachable, its version, the schema's; never the password", async () => {
    type Doctor = { checks: { name: string; status: string; detail: string; fix?: string }[] };
    const password = new URL(db.url).password;
    const good = await run(["--json", "doctor"]);
    expect(good.stdout).not.toContain(`:${password}@`);
    const pgCheck = json<Doctor>(good).checks.find((c) => c.name === "postgres");
    expect(pgCheck).toMatchObject({ status: "ok" });
    expect(pgCheck!.detail).toMatch(
      /^postgres:\/\/herdctl_test:\*\*\*@127\.0\.0\.1:5432\/\S+: PostgreSQL 1[4-9]\.\d+, schema version \d+$/,
    );

    // Nothing listening there: a failure that names the server without the password and says why.
    const secret = "n0t-the-real-pw";
    const down = await herdctl(["--json", "doctor"], {
      cwd: dir,
      env: { HERDCTL_STATE_URL: `postgres://herdctl_test:${secret}@127.0.0.1:1/nothing` },
    });
    expect(down.code).toBe(1);
    expect(down.stdout + down.stderr).not.toContain(secret);
    const failed = json<Doctor>(down).checks.find((c) => c.name === "postgres");
    expect(failed).toMatchObject({ status: "fail" });
    expect(failed!.detail).toContain("postgres://herdctl_test:***@127.0.0.1:1/nothing");
    expect(failed!.detail).toMatch(/ECONNREFUSED|refused|reach/i);
  });
});
