import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Standin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../test/setup/postgres.js";
import { isAlive, killLeftovers } from "../../../test/setup/process-alive.js";
import { assertBuilt, json, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { LoggedProcesses } from "./helpers/logged-processes.js";
import { jobRecords, startMachineDaemon } from "./helpers/pg-jobs.js";
import { offlineMachines, type PgMachines } from "./helpers/pg-machines.js";

// A member of a PostgreSQL fleet is known dead when its database session ends (issue 17): each
// holds a session lock, released by the server the moment a killed process's socket closes. Real
// daemons, real claude against the Anthropic stand-in (faked, on 127.0.0.1), one database.
// Daemon "a" (one slot) and "b" (none) start with a lease of a minute, so a job reaped within
// seconds of a kill -9 can only have been reaped through the lock; the record's reason says which
// path took it. A frozen daemon (SIGSTOP past its lease) keeps its session: its lease decides, and
// woken, it stops the claude of the job the reaper ended meanwhile. (An in-process trigger's kill -9,
// its lock on the state's own connection, is in postgres-daemon-crash.test.ts.)
const db = postgresDatabase();
let remove: () => Promise<void>;
let standin: Standin;
let machines: PgMachines;
const herd = new LoggedProcesses(
  () => machines.dir,
  (name) => machines.env(name),
);

/** Copied from the reaper (core): the records must say why, and so which path, ended them. */
const MEMBER_GONE =
  "the herdctl process running this job lost its database session (it died, or its machine or network went away)";
const MEMBER_LAPSED =
  "the herdctl daemon running this job stopped heartbeating (it died, froze or lost the database)";

interface Row extends Record<string, unknown> {
  id: string;
  agent: string;
  status: string;
  error: string | null;
  worker_id: string | null;
  resumed_from: string | null;
  pid: string | null;
}

const { jobs, job, poll } = jobRecords<Row>(
  () => db.url,
  "id, agent, status, error, worker_id, resumed_from, pid",
  herd,
);

function startDaemon(name: string, args: string[]): Promise<void> {
  return startMachineDaemon(herd, machines, name, args);
}

/** Runs on machine `machine` with its running claude's pid recorded. */
async function running(id: string): Promise<Row> {
  return poll(async () => {
    const row = await job(id);
    return row?.status === "running" && row.pid ? row : undefined;
  }, `job ${id} running with its pid`);
}

/** A fork of `source` on machine a (a daemon's own job, outside the queue) whose model turn never answers. */
async function hangingFork(source: string): Promise<Row> {
  const r = await machines.run("a", [
    "--json",
    "trigger",
    "greeter",
    "--fork",
    source,
    "-p",
    "@standin hang",
  ]);
  expect(r.code, r.stderr).toBe(0);
  return running(json<{ id: string }>(r).id);
}

const orphans: number[] = [];
let source: Row;

beforeAll(async () => {
  assertBuilt();
  ({ machines, standin, remove } = await offlineMachines("herdctl-pg-liveness-", () => db.url));
  for (const agent of ["greeter", "scribe"])
    await writeFile(
      join(machines.dir, "agents", `${agent}.yaml`),
      `name: ${agent}\nworking_directory: ../workspace\non_interrupt: resume\n`,
    );
  // A minute's lease: the lease path cannot end anything within the bounds below.
  await startDaemon("a", ["--id", "a", "--max-concurrent", "1", "--lease", "60"]);
  await startDaemon("b", ["--id", "b", "--max-concurrent", "0", "--lease", "60"]);
  const first = await machines.run("a", ["--json", "trigger", "greeter", "-p", "Hello.", "--wait"]);
  expect(first.code, first.stderr).toBe(0);
  source = (await job(json<{ id: string }>(first).id))!;
  expect(source).toMatchObject({ status: "completed", worker_id: "a" });
});

afterAll(async () => {
  for (const child of herd.procs.values()) {
    if (child.signalCode !== null || child.exitCode !== null) continue;
    child.kill("SIGCONT");
    await stopDaemon(child);
  }
  killLeftovers(orphans);
  await standin.close();
  await remove();
});

describe("a member is known dead when its database session ends", () => {
  it("kill -9 of a daemon with a one-minute lease: its own job and its queue job are interrupted within seconds, the queue job resumed once a slot is back", async () => {
    const own = await hangingFork(source.id);
    // Queued through b (no slots): only a can claim it.
    const q = await machines.run("b", ["--json", "trigger", "scribe", "-p", "@standin hang", "--fresh"]);
    expect(q.code, q.stderr).toBe(0);
    const queued = await running(json<{ id: string }>(q).id);
    expect([own.worker_id, queued.worker_id]).toEqual(["a", "a"]);
    orphans.push(Number(own.pid), Number(queued.pid));

    herd.procs.get("a")!.kill("SIGKILL");
    const killedAt = Date.now();
    const ended = await poll(async () => {
      const rows = await Promise.all([job(own.id), job(queued.id)]);
      return rows.every((r) => r?.status === "interrupted") ? rows : undefined;
    }, "the killed daemon's jobs interrupted");
    const waited = Date.now() - killedAt;
    // The lock's path (its reason); the lease's could not have ended them before 60 s.
    for (const row of ended) expect(row!.error).toBe(MEMBER_GONE);
    expect(waited).toBeLessThan(30_000);
    console.log(`kill -9 of daemon a -> both jobs interrupted in ${waited} ms (lease 60 s)`);
    expect(herd.log("b")).toContain(
      `1 job(s) a daemon that died or went silent ran itself interrupted: ${own.id}`,
    );

    // The queue job (on_interrupt: resume) waits queued again; a back with its slot runs it.
    await startDaemon("a", ["--id", "a", "--max-concurrent", "1", "--lease", "3"]);
    const resumed = await poll(async () => {
      const row = (await jobs()).find((j) => j.resumed_from === queued.id);
      return row?.status === "completed" ? row : undefined;
    }, "the queue job resumed on a's new life");
    expect(resumed.worker_id).toBe("a");
  });

  it("a daemon frozen past its lease keeps its session (its lease decides); woken, it stops the claude of the job reaped meanwhile and stays a member", async () => {
    // a now runs with a 3 s lease (the previous test restarted it).
    const own = await hangingFork(source.id);
    const pid = Number(own.pid);
    orphans.push(pid);
    const daemon = herd.procs.get("a")!;
    daemon.kill("SIGSTOP");
    try {
      const reaped = await poll(async () => {
        const row = await job(own.id);
        return row?.status === "interrupted" ? row : undefined;
      }, "the frozen daemon's job interrupted by b's reaper");
      expect(reaped.error).toBe(MEMBER_LAPSED);
      expect(isAlive(pid)).toBe(true);
    } finally {
      daemon.kill("SIGCONT");
    }
    await until(() => !isAlive(pid), "the reaped job's claude stopped by the woken daemon");
    expect(herd.log("a")).toContain(
      `job ${own.id} was ended by another member as interrupted (${MEMBER_LAPSED}) while this process still ran it`,
    );
    // A final status is never changed, and a goes on as a live member.
    expect(await job(own.id)).toMatchObject({ status: "interrupted", error: MEMBER_LAPSED });
    await poll(async () => {
      const status = await machines.run("b", ["--json", "status"]);
      const workers = json<{ workers: Array<{ id: string; alive: boolean }> }>(status).workers;
      return workers.find((w) => w.id === "a")?.alive ? true : undefined;
    }, "a alive in b's status");
    const after = await machines.run("a", ["--json", "trigger", "greeter", "-p", "Hello again.", "--wait"]);
    expect(after.code, after.stderr).toBe(0);
    expect(json<{ status: string }>(after).status).toBe("completed");
  });
});
