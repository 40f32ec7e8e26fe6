// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";

// The fleet's PostgreSQL database goes away while a job runs (the server is shared with other
// tests, so it is not restarted: the daemon's connections are ended and its database renamed, so
// reconnecting finds none). The job's end cannot be recorded then; the daemon keeps it and records
// it once the database is back, instead of dropping it. Real claude against the stand-in.
const db = postgresDatabase();
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;
let log = "";
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-pg-outage-"));
  await writeFleet(dir);
  await appendFile(join(dir, "herdctl.yaml"), "state:\n  backend: postgres\n  url: ${HERDCTL_STATE_URL}\n");
  // The reply is held back long enough for the database to be taken away meanwhile.
  await writeFile(
    join(dir, "agents", "greeter.yaml"),
    "name: greeter\nworking_directory: ../workspace\ndefault_prompt: |\n  Say hello.\n  @standin delay 8000\n",
  );
  env = { HERDCTL_STATE_URL: db.url };
  // The daemon runs the job as a worker of the fleet: its lease must outlast the outage, or it
  // would stop the job as one whose lease may have gone to another worker (docs/scaling.md).
  daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm", "--lease", "60"], {
    cwd: dir,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  daemon.stdout!.on("data", (d) => (log += d));
  daemon.stderr!.on("data", (d) => (log += d));
  await until(() => existsSync(join(dir, ".herdctl", "herdctl.sock")), "the daemon's control socket");
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

async function jobStatus(id: string): Promise<string | undefined> {
  const client = await connectAsTestRole(db.url);
  try {
    return (await client.query("select status from jobs where id = $1", [id])).rows[0]?.status;
  } finally {
    await client.end();
  }
}

/** POST …/cancel on the daemon's socket, not awaited by the caller: it answers once the end is recorded. */
function cancelOverSocket(jobId: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: join(dir, ".herdctl", "herdctl.sock"),
        path: `/api/jobs/${jobId}/cancel`,
        method: "POST",
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function poll<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - t0 > 90_000) throw new Error(`${what}: not seen within 90 s (last: ${String(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the fleet's database gone while a job runs", () => {
  it("keeps the job's end, and a queued job's cancel, and records them once the database is back", async () => {
    const triggered = await herdctl(["--json", "trigger", "greeter"], { cwd: dir, env });
    expect(triggered.code).toBe(0);
    const id = json<{ id: string }>(triggered).id;
    await poll(
      () => jobStatus(id),
      (s) => s === "running",
      "the job running",
    );
    // A second greeter job waits in line behind it (max_concurrent 1).
    const queued = await herdctl(["--json", "trigger", "greeter"], { cwd: dir, env });
    expect(queued.code).toBe(0);
    const queuedId = json<{ id: string }>(queued).id;
    expect(await jobStatus(queuedId)).toBe("queued");
    let cancelled: Promise<{ status: number; body: string }> | undefined;

    const name = new URL(db.url).pathname.slice(1);
    const away = `${name}_away`;
    const admin = await connectAsTestRole();
    try {
      // End the daemon's sessions and rename the database before any reconnects (a rename is
      // refused while anyone is connected, so end them again until it goes through).
      for (;;) {
        await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [
          name,
        ]);
        try {
          await admin.query(`alter database "${name}" rename to "${away}"`);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== "55006") throw error;
        }
      }
      // The queued job cancelled meanwhile: taken out of line, its end kept like the job's own.
      cancelled = cancelOverSocket(queuedId);
      await until(
        () => log.includes(`job ${queuedId}: its end could not be recorded`),
        "the failed record of the cancel",
      );
      await until(
        () => log.includes(`job ${id}: its end could not be recorded`),
        "the failed record of the end",
      );
      expect(log).toContain("trying again in");
    } finally {
      await admin.query(`alter database "${away}" rename to "${name}"`).catch(() => {});
      await admin.end();
    }
    // Back: the kept end lands, as it would have.
    expect(
      await poll(
        () => jobStatus(id),
        (s) => s === "completed",
        "the job's end recorded",
      ),
    ).toBe("completed");
    expect(
      await poll(
        () => jobStatus(queuedId),
        (s) => s === "cancelled",
        "the cancel recorded",
      ),
    ).toBe("cancelled");
    const answer = await cancelled!;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).job).toMatchObject({ id: queuedId, status: "cancelled" });
    expect(daemon!.exitCode).toBeNull();
    const shown = json<{ job: { status: string; finishedAt: string | null } }>(
      await herdctl(["--json", "job", id], { cwd: dir, env }),
    );
    expect(shown.job.status).toBe("completed");
    expect(shown.job.finishedAt).not.toBeNull();
  });
});
