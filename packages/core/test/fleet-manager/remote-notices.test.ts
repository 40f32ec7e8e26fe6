import { hang, type Standin, startStandin, textReply } from "@herdctl/standin";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../../test/setup/postgres.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { JobRecord } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { until } from "../helpers/until.js";

// A daemon that runs no jobs and a worker, two FleetManagers on one real PostgreSQL database with
// real claude against the stand-in. Their safety-net polls are set to ten minutes, so a job's end
// and a cancel can reach the other process only through the jobs table's NOTIFY
// (cluster/job-notices.ts): with the poll as the only path, these tests time out.
const db = postgresDatabase();
const TEN_MINUTES = 600_000;
let standin: Standin;
let daemon: FleetManager;
let worker: FleetManager;
const dirs: Array<{ cleanup: () => void }> = [];
const events: Array<{ type: string; id: string }> = [];

/** Replies wait for `release()`, so a test chooses when the worker's job ends. */
let release: () => void = () => {};
function holdReplies(text: string): void {
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  standin.setResponder(async () => {
    await held;
    return textReply(text);
  });
}

function fleetDir(): string {
  const tmp = tempDir("herdctl-notices-");
  dirs.push(tmp);
  writeAgents(
    tmp.dir,
    { greeter: "runtime: cli\ninstances: { max_concurrent: 2 }\n" },
    `state: { backend: postgres, url: "${db.url}" }\n`,
  );
  return tmp.dir;
}

/** The job notices' LISTEN connections on this file's database (the daemon's and the worker's). */
async function listenerPids(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database() and application_name = 'herdctl job notices'",
  );
  return rows.map((r) => r.pid);
}

beforeAll(async () => {
  standin = await startStandin();
  const daemonDir = fleetDir();
  daemon = new FleetManager({
    config: daemonDir,
    env: claudeEnv(standin, daemonDir),
    watchConfig: false,
    // Back soon after a cut, but never before the test has let the job end unheard.
    jobNotices: { pollMs: TEN_MINUTES, relistenMs: 300 },
  });
  await daemon.start();
  for (const type of ["job:started", "job:completed", "job:cancelled"] as const)
    daemon.events.on(type, (job: JobRecord) => events.push({ type, id: job.id }));
  const workerDir = fleetDir();
  worker = new FleetManager({
    config: workerDir,
    env: claudeEnv(standin, workerDir),
    watchConfig: false,
    background: false,
    worker: { id: "notices-w1", maxConcurrent: 2, version: "test" },
    jobNotices: { pollMs: TEN_MINUTES, relistenMs: 300 },
  });
  await worker.start();
}, 60_000);

afterAll(async () => {
  await worker?.stop({ timeoutMs: 0 });
  await daemon?.stop({ timeoutMs: 0 });
  await standin?.close();
  for (const d of dirs) d.cleanup();
});

describe("jobs a worker runs, followed by notification (PostgreSQL, safety-net polls at 10 minutes)", () => {
  it("a job's start and end on the worker reach the queuing daemon's wait and events", async () => {
    holdReplies("hello from the worker");
    const queued = daemon.trigger("greeter", { prompt: "greet" });
    expect(queued.status).toBe("queued");
    await until(() => events.some((e) => e.type === "job:started" && e.id === queued.id), "job:started");
    release();
    const ended = await daemon.wait(queued.id);
    expect(ended).toMatchObject({
      status: "completed",
      summary: "hello from the worker",
      workerId: "notices-w1",
    });
    expect(events.filter((e) => e.id === queued.id).map((e) => e.type)).toEqual([
      "job:started",
      "job:completed",
    ]);
  });

  it("a cancel asked on the daemon stops the job on the worker, and its end reaches the daemon", async () => {
    standin.setResponder(() => hang());
    const queued = daemon.trigger("greeter", { prompt: "hang here" });
    await until(() => standin.mainRequests.some((r) => r.lastUserText === "hang here"), "the model request");
    const cancelled = await daemon.cancel(queued.id);
    expect(cancelled).toMatchObject({ status: "cancelled", workerId: "notices-w1" });
    expect(worker.state.jobs.require(queued.id).status).toBe("cancelled");
    expect(events).toContainEqual({ type: "job:cancelled", id: queued.id });
  });

  it("an end sent while the LISTEN connections are cut is heard by the re-read at reconnection", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      holdReplies("ended unheard");
      const queued = daemon.trigger("greeter", { prompt: "end while deaf" });
      await until(() => events.some((e) => e.type === "job:started" && e.id === queued.id), "job:started");
      // Cut every job-notices connection, and again as soon as one is back, until the job's end
      // is committed: its notification then reaches no one.
      const status = async () =>
        (await client.query<{ status: string }>("select status from jobs where id = $1", [queued.id])).rows[0]
          ?.status;
      let cuts = 0;
      release();
      while ((await status()) === "running") {
        for (const pid of await listenerPids(client)) {
          await client.query("select pg_terminate_backend($1)", [pid]);
          cuts++;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(cuts).toBeGreaterThan(0);
      expect(await status()).toBe("completed");
      // The daemon's event, not its wait: a wait now would read the ended record itself.
      await until(
        () => events.some((e) => e.type === "job:completed" && e.id === queued.id),
        "job:completed on the daemon",
      );
      expect(await daemon.wait(queued.id)).toMatchObject({ status: "completed", summary: "ended unheard" });
    } finally {
      await client.end();
    }
  });
});
