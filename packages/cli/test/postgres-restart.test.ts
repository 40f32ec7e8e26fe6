// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privatePostgres } from "../../../test/setup/private-postgres.js";
import { assertBuilt, herdctl, json, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { LoggedProcesses } from "./helpers/logged-processes.js";

// The PostgreSQL server itself restarted under a running fleet (issue #17): a server of this file's
// own (the shared one serves other files), a daemon `d1` (herdctl start, a worker too, label
// `here`) and a `herdctl worker` `w1` (label `there`), real claude against a stand-in in this
// process. Jobs named in their prompt; a prompt with HOLD gets its reply only when the test
// releases it, so a job spans the restart without relying on timing. `near` runs only on d1, `far`
// only on w1, one job each at a time, so the second of each waits queued. A `ticker` schedule fires
// every second (its gate skips the job: no model call) to show the leadership regained. A machine
// "c" with no daemon runs a held `local` job in its CLI process across the restart: a member whose
// session lock the restart released, and which takes it again only at its next statement, must
// not be reaped meanwhile (members are judged by their locks only once taken in the server's new
// life, docs/scaling.md).
const server = privatePostgres();
let dir: string;
let remove: () => Promise<void>;
let standin: Standin;
const herd = new LoggedProcesses(
  () => dir,
  (name) => env(name),
);
const { procs, logs } = herd;
const held = new Map<string, () => void>();
// Long enough for a job that ends in the outage to reach its record under load: first its output is
// waited on for up to 10 s (StateManager.jobOutputStored); a worker past its lease cancels its jobs.
const LEASE = "60";

/** The job's name in its prompt: `job <name>`, and `HOLD` to hold its reply. */
function nameOf(text: string | undefined): string | undefined {
  return /job (\w+)/.exec(text ?? "")?.[1];
}

function env(name: string): Record<string, string> {
  return {
    HERDCTL_STATE_URL: server.url,
    ANTHROPIC_BASE_URL: standin.url,
    ANTHROPIC_API_KEY: "sk-ant-test-restart-0123456789",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
    CLAUDE_CONFIG_DIR: join(dir, `claude-${name}`),
    HOME: join(dir, `home-${name}`),
  };
}

const spawnHerdctl = (name: string, args: string[]) => herd.spawn(name, args);
const log = (name: string) => herd.log(name);
const allLogs = () => [...logs].map(([n, l]) => `--- ${n}\n${l.slice(-6000)}`).join("\n");

/** `until`, failing with the processes' logs: what they said is what explains a hang. */
async function untilSeen(check: () => boolean, what: string): Promise<void> {
  try {
    await until(check, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${allLogs()}`);
  }
}

async function trigger(agent: string, name: string, hold = false): Promise<string> {
  const prompt = `Do job ${name}.${hold ? " HOLD" : ""}`;
  const r = await herdctl(["-s", join(dir, ".herdctl-d1"), "--json", "trigger", agent, "-p", prompt], {
    cwd: dir,
    env: env("d1"),
  });
  if (r.code !== 0) throw new Error(`trigger ${agent} failed (exit ${r.code}): ${r.stderr}`);
  return json<{ id: string }>(r).id;
}

async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

interface Row {
  id: string;
  agent: string;
  status: string;
  worker_id: string | null;
  /** ISO times, as herdctl stores them. */
  finished_at: string | null;
  created_at: string;
}

const jobs = () =>
  query<Row>(
    "select id, agent, status, worker_id, finished_at, created_at from jobs order by created_at, id",
  );

/** Polls the database until `check` holds; the deadline turns a hang into a message with the logs. */
async function waitRows(check: (rows: Row[]) => boolean, what: string): Promise<Row[]> {
  const t0 = Date.now();
  for (;;) {
    const rows = await jobs();
    if (check(rows)) return rows;
    if (Date.now() - t0 > 120_000)
      throw new Error(
        `${what}: not seen within 120 s\n${JSON.stringify(
          rows.filter((r) => r.agent !== "ticker"),
          null,
          1,
        )}\n${allLogs()}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

const row = (rows: Row[], id: string) => rows.find((r) => r.id === id);
const ended = (rows: Row[], ids: string[]) => ids.every((id) => row(rows, id)?.finished_at);

/** Model requests per job name: one each means no job ran twice. */
function requestsPerName(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of standin.mainRequests) {
    const name = nameOf(r.lastUserText);
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** Output lines the job's machine stored centrally: numbered from 0 without a gap, reply included. */
async function storedOutput(id: string): Promise<string[]> {
  const rows = await query<{ line: number; json: string }>(
    "select line, json from herdctl_job_output where job_id = $1 order by line",
    [id],
  );
  expect(rows.map((r) => r.line)).toEqual(rows.map((_, i) => i));
  return rows.map((r) => r.json);
}

/** Schedule fires of the ticker recorded at or after `since` (ms). */
async function firesSince(since: number): Promise<{ by: string }[]> {
  return query<{ by: string }>(
    "select fired_by as by from herdctl_schedule_fires where fired_at >= to_timestamp($1::double precision / 1000)",
    [since],
  );
}

/** Reads until `ok` holds; the 90 s deadline turns a hang into a message with the last value. */
async function poll<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string | (() => string),
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - t0 > 90_000)
      throw new Error(
        `${typeof what === "string" ? what : what()}: not seen within 90 s (last: ${JSON.stringify(value)})`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The ticker's last jobs, for a failure message: a schedule that stopped firing shows its last run. */
async function lastTicks(): Promise<string> {
  const rows = await query<{ id: string; status: string; worker_id: string | null; created_at: string }>(
    "select id, status, worker_id, created_at from jobs where agent = 'ticker' order by created_at desc, id desc limit 4",
  );
  return JSON.stringify(rows);
}

/** The last lines of a process's log, for a failure message. */
function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** When the file's processes started: a repeated message may be told again once a minute. */
let started = Date.now();

beforeAll(async () => {
  started = Date.now();
  assertBuilt();
  standin = await startStandin({
    responder: async (req) => {
      const text = req.lastUserText ?? "";
      const name = nameOf(text) ?? "unnamed";
      if (text.includes("HOLD")) await new Promise<void>((resolve) => held.set(name, resolve));
      return textReply(`reply of job ${name}`);
    },
  });
  ({ dir, remove } = await tempDir("herdctl-pg-restart-"));
  for (const sub of [
    "agents",
    "workspace",
    "home-d1",
    "home-w1",
    "claude-d1",
    "claude-w1",
    "home-c",
    "claude-c",
  ])
    await mkdir(join(dir, sub), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    [
      "version: 1",
      "fleet: { name: restarts }",
      "defaults: { permission_mode: acceptEdits, runtime: cli }",
      "agents:",
      "  - path: ./agents/near.yaml",
      "  - path: ./agents/far.yaml",
      "  - path: ./agents/ticker.yaml",
      "  - path: ./agents/local.yaml",
      "state:",
      "  backend: postgres",
      "  url: ${HERDCTL_STATE_URL}",
      "",
    ].join("\n"),
  );
  for (const [agent, label] of [
    ["near", "here"],
    ["far", "there"],
  ])
    await writeFile(
      join(dir, "agents", `${agent}.yaml`),
      `name: ${agent}\nworking_directory: ../workspace\nplacement: { labels: [${label}] }\ninstances: { max_concurrent: 1 }\n`,
    );
  await writeFile(join(dir, "agents", "local.yaml"), "name: local\nworking_directory: ../workspace\n");
  await writeFile(
    join(dir, "agents", "ticker.yaml"),
    "name: ticker\nworking_directory: ../workspace\nschedules:\n  tick:\n    type: interval\n    interval: 1s\n    gate: exit 1\n",
  );
  spawnHerdctl("d1", ["start", "--id", "d1", "--labels", "here", "--max-concurrent", "2", "--lease", LEASE]);
  await until(() => existsSync(join(dir, ".herdctl-d1", "herdctl.sock")), "the daemon's control socket");
  spawnHerdctl("w1", [
    "worker",
    "--id",
    "w1",
    "--labels",
    "there",
    "--max-concurrent",
    "2",
    "--lease",
    LEASE,
  ]);
  await until(() => log("w1").includes("worker w1 of fleet"), "the worker started");
});

afterAll(async () => {
  for (const resolve of held.values()) resolve();
  for (const p of procs.values()) await stopDaemon(p);
  await standin?.close();
  await remove?.();
});

/** Two held jobs running, one on each machine, their requests at the stand-in and output stored. */
async function holdOnBoth(near: string, far: string): Promise<{ nearId: string; farId: string }> {
  const nearId = await trigger("near", near, true);
  const farId = await trigger("far", far, true);
  const rows = await waitRows(
    (r) => row(r, nearId)?.status === "running" && row(r, farId)?.status === "running",
    `${near} and ${far} running`,
  );
  expect(row(rows, nearId)!.worker_id).toBe("d1");
  expect(row(rows, farId)!.worker_id).toBe("w1");
  await untilSeen(() => held.has(near) && held.has(far), `${near} and ${far} at the stand-in`);
  // Lines written before the database goes away (claude's start), stored for other machines.
  for (const id of [nearId, farId])
    await poll(
      () => storedOutput(id),
      (lines) => lines.length > 0,
      `job ${id}'s first output lines stored`,
    );
  return { nearId, farId };
}

function release(name: string): void {
  const resolve = held.get(name);
  if (!resolve) throw new Error(`job ${name} is not held at the stand-in`);
  resolve();
}

describe("the PostgreSQL server restarted under a running fleet", () => {
  it("pg_ctl restart -m fast: running jobs end once, queued ones run, new ones run, the schedule fires on", async () => {
    const { nearId, farId } = await holdOnBoth("n1", "f1");
    const queued = [await trigger("near", "n2"), await trigger("far", "f2")];
    const before = await jobs();
    for (const id of queued) expect(row(before, id)!.status).toBe("queued");
    const beforeLines = {
      near: (await storedOutput(nearId)).length,
      far: (await storedOutput(farId)).length,
    };

    // Machine c (no daemon): a job of its own CLI process, held across the restart.
    const cli = spawnHerdctl("c", ["--json", "trigger", "local", "-p", "Do job c1. HOLD", "--wait"]);
    const cliExit = new Promise<number | null>((resolve) => cli.once("exit", (code) => resolve(code)));
    await untilSeen(() => held.has("c1"), "c1 at the stand-in");
    const cliJob = (
      await waitRows((r) => r.some((x) => x.agent === "local" && x.status === "running"), "c1 running")
    ).find((x) => x.agent === "local")!;
    expect(cliJob.worker_id).toMatch(/-cli$/);

    await server.restart();
    const back = Date.now();
    // The replies come after the restart: the ends and the lines before them are written then.
    release("n1");
    release("f1");
    const after = await trigger("near", "n3");
    // c1's only once c's member has taken its lock again in the server's new life: until then
    // (its next statement, a heartbeat every 3.3 s) d1's reaper, every second, finds no lock of it.
    await poll(
      () =>
        query<{ back: boolean }>(
          "select lock_at >= pg_postmaster_start_time() as back from herdctl_workers where id = $1",
          [cliJob.worker_id],
        ),
      (r) => r[0]?.back === true,
      "c's member holding its lock again after the restart",
    );
    release("c1");
    expect(await cliExit, log("c")).toBe(0);
    procs.delete("c");

    const all = [nearId, farId, ...queued, after, cliJob.id];
    const rows = await waitRows((r) => ended(r, all), "every job of the restart ended");
    for (const id of all) expect(row(rows, id)!.status, id).toBe("completed");
    // The workers reconnected: the queued jobs and the one triggered after ran on their machines.
    expect(row(rows, queued[0]!)!.worker_id).toBe("d1");
    expect(row(rows, queued[1]!)!.worker_id).toBe("w1");
    expect(row(rows, after)!.worker_id).toBe("d1");
    for (const [id, name, count] of [
      [nearId, "n1", beforeLines.near],
      [farId, "f1", beforeLines.far],
    ] as const) {
      const lines = await storedOutput(id);
      expect(lines.length).toBeGreaterThan(count);
      expect(lines.some((l) => l.includes(`reply of job ${name}`))).toBe(true);
      const shown = await herdctl(["-s", join(dir, ".herdctl-d1"), "logs", "--job", id], {
        cwd: dir,
        env: env("d1"),
      });
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain(`reply of job ${name}`);
    }
    // The leader lost its lock with the connection and took it again: the schedule fires on.
    let ticks = "";
    const fires = await poll(
      async () => {
        ticks = await lastTicks();
        return firesSince(back);
      },
      (f) => f.length >= 3,
      () =>
        `three fires after the restart (the ticker's last jobs: ${ticks}; d1's log ends:\n${tail(log("d1"))})`,
    );
    expect(fires.every((f) => f.by.endsWith(`:${procs.get("d1")!.pid}`))).toBe(true);
    expect(Object.fromEntries(requestsPerName())).toMatchObject({ n1: 1, f1: 1, n2: 1, f2: 1, n3: 1, c1: 1 });
  });

  it("stopped for seconds: jobs that end meanwhile are recorded after, nothing runs twice", async () => {
    const { nearId, farId } = await holdOnBoth("n4", "f3");
    const queued = await trigger("far", "f4");
    expect(row(await jobs(), queued)!.status).toBe("queued");

    await server.stop();
    const stoppedAt = Date.now();
    // Both jobs end while the server is down: their ends cannot be recorded and are kept.
    release("n4");
    release("f3");
    await untilSeen(
      () => log("d1").includes(`job ${nearId}: its end could not be recorded`),
      "d1 keeping n4's end",
    );
    await untilSeen(
      () => log("w1").includes(`job ${farId}: its end could not be recorded`),
      "w1 keeping f3's end",
    );
    // The outage's length is the scenario, not a wait for something: twelve seconds, a dozen of
    // the workers' reconnect attempts (one a second), well inside the 60 s lease, so the jobs stay
    // the workers'.
    await until(() => Date.now() - stoppedAt >= 12_000, "twelve seconds of outage");
    await server.start();
    const back = Date.now();
    const after = await trigger("far", "f5");

    const all = [nearId, farId, queued, after];
    const rows = await waitRows((r) => ended(r, all), "every job of the outage ended");
    // Their ends, kept through the outage (the logs above), were recorded after it, not dropped.
    for (const id of all) expect(row(rows, id)!.status, id).toBe("completed");
    for (const [id, name] of [
      [nearId, "n4"],
      [farId, "f3"],
    ] as const)
      expect((await storedOutput(id)).some((l) => l.includes(`reply of job ${name}`))).toBe(true);
    let ticks = "";
    await poll(
      async () => {
        ticks = await lastTicks();
        return firesSince(back);
      },
      (f) => f.length >= 3,
      () =>
        `three fires after the server came back (the ticker's last jobs: ${ticks}; d1's log ends:\n${tail(log("d1"))})`,
    );

    // Every job of the file ended exactly once: one model request per named job, no job left
    // queued or running (schedule fires from before now included), none retried or resumed.
    const cut = new Date(Date.now() - 1_000).toISOString();
    const final = await waitRows(
      (r) => r.filter((x) => x.created_at < cut).every((x) => x.finished_at !== null),
      "every job made before now ended",
    );
    expect(final.filter((x) => x.created_at < cut && ["queued", "running"].includes(x.status))).toEqual([]);
    const counts = requestsPerName();
    expect(Object.fromEntries(counts)).toEqual({
      n1: 1,
      f1: 1,
      n2: 1,
      f2: 1,
      n3: 1,
      c1: 1,
      n4: 1,
      f3: 1,
      f4: 1,
      f5: 1,
    });
    const reruns = await query("select id from jobs where resumed_from is not null or retry_of is not null");
    expect(reruns).toEqual([]);
    for (const p of procs.values()) expect(p.exitCode).toBeNull();
    for (const name of ["d1", "w1"]) {
      // A reconnect attempt each second leaked nothing (one abort listener per attempt did).
      expect(log(name)).not.toContain("MaxListenersExceededWarning");
      // Failing output stores were told once per outage, and their end told too.
      const failed = log(name).split("storing lines in the database failed").length - 1;
      expect(failed, name).toBeGreaterThanOrEqual(1);
      expect(log(name).split("storing lines in the database works again").length - 1, name).toBe(failed);
      // The loops that retry every second tell each text once a minute, not once a try (about a
      // dozen tries each in the outage alone). The processes have run `minutes` whole minutes or
      // part of one more, so a text may have been told once in each (two outages more than a
      // minute apart under load do tell it twice).
      const minutes = Math.ceil((Date.now() - started) / 60_000);
      for (const loop of ["claim", "listen", "reaper"]) {
        const lines = log(name)
          .split("\n")
          .filter((l) => l.includes(`worker ${name}: ${loop}: `));
        const told = new Map<string, number>();
        for (const line of lines) {
          const text = line.replace(/ \(\d+ more like .* not shown\)$/, "");
          told.set(text, (told.get(text) ?? 0) + 1);
        }
        for (const [text, times] of told)
          expect(
            times,
            `${name} ${loop}, within ${minutes} min: ${text}\n${lines.join("\n")}`,
          ).toBeLessThanOrEqual(minutes);
      }
    }
    expect(log("d1").split("cannot reach the database to campaign").length - 1).toBeLessThanOrEqual(4);
    // Longer than its waits' own deadlines (each fails with the processes' logs), so that a slow
    // machine's failure says where it stopped instead of vitest's bare timeout.
  }, 330_000);
});
