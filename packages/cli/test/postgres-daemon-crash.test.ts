import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Standin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { killLeftovers } from "../../../test/setup/process-alive.js";
import { assertBuilt, BIN, cleanEnv, json, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { LoggedProcesses } from "./helpers/logged-processes.js";
import { jobRecords, startMachineDaemon } from "./helpers/pg-jobs.js";
import { offlineMachines, type PgMachines } from "./helpers/pg-machines.js";

// The jobs a daemon runs itself on a PostgreSQL fleet, outside the workers' queue (here forks:
// a fork's transcript check is its machine's), have no lease (issue 17). Two `herdctl start`
// daemons, "a" (one slot) and "b" (none), each its own state directory, claude config and HOME,
// on one database and one Anthropic stand-in (faked, on 127.0.0.1). A fork whose model turn never
// answers (`@standin hang`) runs on a; a is killed with SIGKILL. b's reaper must interrupt the
// job once a's session lock is gone (a's lease is a minute); a daemon back under a's id must recover a
// second such job at its start: interrupted at once, its claude killed, resumed (on_interrupt).
// A third machine, "c", runs no daemon: its `trigger --wait` runs the job in the CLI process,
// which is a member for the job's length; killed with SIGKILL, b's reaper ends its job too. So
// does a chat it runs itself (`herdctl chat` with no daemon: its turns are that process's jobs).
const db = postgresDatabase();
let remove: () => Promise<void>;
let standin: Standin;
let machines: PgMachines;
const herd = new LoggedProcesses(
  () => machines.dir,
  (name) => machines.env(name),
);

/** Copied from the reaper and recovery (core): the records must say why they ended. */
const MEMBER_GONE =
  "the herdctl process running this job lost its database session (it died, or its machine or network went away)";
const FOUND_AT_START = "herdctl stopped unexpectedly while this job was running (found at the next start)";

interface Row extends Record<string, unknown> {
  id: string;
  status: string;
  error: string | null;
  worker_id: string | null;
  trigger_type: string;
  resumed_from: string | null;
  finished_at: string | null;
  pid: string | null;
}

const { jobs, job, poll } = jobRecords<Row>(
  () => db.url,
  "id, status, error, worker_id, trigger_type, resumed_from, finished_at, pid",
  herd,
  200,
);

function startDaemon(name: string, args: string[]): Promise<void> {
  return startMachineDaemon(herd, machines, name, args);
}

function killDaemon(name: string): void {
  herd.procs.get(name)!.kill("SIGKILL");
}

/** A fork of `source` on machine a whose model turn never answers; resolved once it runs with its claude's pid. */
async function hangingFork(source: string): Promise<Row> {
  const before = standin.mainRequests.length;
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
  const id = json<{ id: string }>(r).id;
  await until(() => standin.mainRequests.length > before, "the fork's request at the stand-in");
  return poll(async () => {
    const row = await job(id);
    return row?.status === "running" && row.pid ? row : undefined;
  }, `fork ${id} running with its pid`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const orphans: number[] = [];
/** `herdctl chat` processes, ended after the tests should one fail before it ends them. */
const chats: ChildProcess[] = [];
/** The finished job the forks branch from. */
let source: Row;

beforeAll(async () => {
  assertBuilt();
  ({ machines, standin, remove } = await offlineMachines("herdctl-pg-daemon-crash-", () => db.url));
  await writeFile(
    join(machines.dir, "agents", "greeter.yaml"),
    "name: greeter\nworking_directory: ../workspace\non_interrupt: resume\n",
  );
  // a's lease is a minute: its kill -9 is known by its session lock, not by its lease.
  await startDaemon("a", ["--id", "a", "--max-concurrent", "1", "--lease", "60"]);
  await startDaemon("b", ["--id", "b", "--max-concurrent", "0", "--lease", "3"]);
});

afterAll(async () => {
  for (const child of herd.procs.values()) if (child.signalCode === null) await stopDaemon(child);
  for (const chat of chats) if (chat.exitCode === null && chat.signalCode === null) chat.kill("SIGKILL");
  // The claude a's first death left behind (b cannot kill another machine's process).
  killLeftovers(orphans);
  await standin.close();
  await remove();
});

describe("kill -9 of a PostgreSQL daemon running its own jobs", () => {
  it("a daemon with no slots is a member: registered, heartbeating, 0 slots in status", async () => {
    const status = await machines.run("b", ["--json", "status"]);
    expect(status.code, status.stderr).toBe(0);
    const workers = json<{ workers: Array<{ id: string; maxConcurrent: number; alive: boolean }> }>(
      status,
    ).workers;
    expect(workers.find((w) => w.id === "b")).toMatchObject({ maxConcurrent: 0, alive: true });
    expect(workers.find((w) => w.id === "a")).toMatchObject({ maxConcurrent: 1, alive: true });
  });

  it("another daemon's reaper interrupts the dead one's job once its session lock is gone; back under its id, a daemon recovers the next one at its start", async () => {
    const first = await machines.run("a", ["--json", "trigger", "greeter", "-p", "Hello.", "--wait"]);
    expect(first.code, first.stderr).toBe(0);
    source = (await jobs()).find((j) => j.status === "completed")!;
    expect(source.worker_id).toBe("a"); // from the queue: b has no slots

    // 1. Orphaned, reaped by b.
    const lost = await hangingFork(source.id);
    expect(lost.worker_id).toBe("a");
    orphans.push(Number(lost.pid));
    killDaemon("a");
    const killedAt = Date.now();
    const reaped = await poll(async () => {
      const row = await job(lost.id);
      return row?.status === "interrupted" ? row : undefined;
    }, "the dead daemon's fork interrupted by b's reaper");
    const waited = Date.now() - killedAt;
    expect(reaped.error).toBe(MEMBER_GONE);
    // The lock's grace (1.5 s) and b's reaper period (1 s), with room for a loaded machine; a's lease is 60 s.
    expect(waited).toBeLessThan(30_000);
    expect(herd.log("b")).toContain(
      `1 job(s) a daemon that died or went silent ran itself interrupted: ${lost.id}`,
    );

    // 2. Back under the same id, with no other member running (b would reap it within seconds):
    // its next life recovers.
    await startDaemon("a", ["--id", "a", "--max-concurrent", "1", "--lease", "60"]);
    const crashed = await hangingFork(source.id);
    const pid = Number(crashed.pid);
    await stopDaemon(herd.procs.get("b")!);
    killDaemon("a");
    expect(alive(pid)).toBe(true); // the killed daemon's claude outlives it
    await startDaemon("a", ["--id", "a", "--max-concurrent", "1", "--lease", "3"]);
    const recovered = (await job(crashed.id))!;
    // Interrupted before the daemon's socket opened, so by its start and not by b's reaper.
    expect(recovered).toMatchObject({ status: "interrupted", error: FOUND_AT_START });
    await until(() => !alive(pid), "the crashed job's claude killed by the recovery");
    expect(herd.log("a")).toMatch(/marked 1 job\(s\) left by a previous run as interrupted/);
    // on_interrupt: resume, as on SQLite: a job continues it.
    const resumed = await poll(async () => {
      const row = (await jobs()).find((j) => j.resumed_from === crashed.id);
      return row?.finished_at ? row : undefined;
    }, "the recovered job resumed");
    expect(resumed).toMatchObject({ status: "completed", worker_id: "a" });
    // b's reaper's job was not resumed by anyone (only the daemon back under its id resumes).
    expect((await jobs()).some((j) => j.resumed_from === lost.id)).toBe(false);
    await startDaemon("b", ["--id", "b", "--max-concurrent", "0", "--lease", "3"]);
  });

  it("a daemon that stops normally ends its own jobs before its row reads stopped: none is reaped", async () => {
    await stopDaemon(herd.procs.get("a")!);
    await startDaemon("a", ["--id", "a", "--max-concurrent", "1", "--lease", "3", "--stop-timeout", "2"]);
    const running = await hangingFork(source.id);
    const daemon = herd.procs.get("a")!;
    const exited = new Promise((resolve) => daemon.once("exit", resolve));
    daemon.kill("SIGTERM");
    await exited;
    // Cancelled by a's stop after its 2 s; b's reaper (every second) would have taken it as
    // interrupted had the row read stopped while the job still ran.
    expect(await job(running.id)).toMatchObject({ status: "cancelled" });
    expect(herd.log("b")).not.toContain(running.id);
    const status = await machines.run("b", ["--json", "status"]);
    expect(json<{ workers: Array<{ id: string }> }>(status).workers.map((w) => w.id)).toEqual(["b"]);
  });

  it("kill -9 of an in-process trigger (no daemon on its machine): it was a member holding a session lock, so b's reaper interrupts its job within seconds", async () => {
    // Machine c runs no daemon: `trigger --wait` runs the job in the CLI process itself.
    const before = standin.mainRequests.length;
    const cli = herd.spawn("c", ["trigger", "greeter", "-p", "@standin hang", "--fresh", "--wait"]);
    await until(() => standin.mainRequests.length > before, "the in-process job's request at the stand-in");
    const running = await poll(async () => {
      const row = (await jobs()).find((j) => j.worker_id?.endsWith("-cli") && j.status === "running");
      return row?.pid ? row : undefined;
    }, "the in-process job running, its record naming the CLI as its member");
    orphans.push(Number(running.pid));
    // A member with no slots, busy with one job of its own, as b's status shows it.
    const status = await machines.run("b", ["--json", "status"]);
    expect(status.code, status.stderr).toBe(0);
    const members = json<{ workers: Array<{ id: string; maxConcurrent: number; running: number }> }>(
      status,
    ).workers;
    expect(members.find((w) => w.id === running.worker_id)).toMatchObject({ maxConcurrent: 0, running: 1 });

    cli.kill("SIGKILL");
    const killedAt = Date.now();
    const reaped = await poll(async () => {
      const row = await job(running.id);
      return row?.status === "interrupted" ? row : undefined;
    }, "the killed CLI's job interrupted by b's reaper");
    const waited = Date.now() - killedAt;
    // Its session lock, held on the state's own connection, went with it: not its 10 s lease.
    expect(reaped.error).toBe(MEMBER_GONE);
    expect(waited).toBeLessThan(30_000);
    expect(herd.log("b")).toContain(
      `1 job(s) a daemon that died or went silent ran itself interrupted: ${running.id}`,
    );
  });

  it("an in-process trigger that ends normally leaves its member row stopped: nothing to reap", async () => {
    const r = await machines.run("c", ["--json", "trigger", "greeter", "-p", "Hello.", "--fresh", "--wait"]);
    expect(r.code, r.stderr).toBe(0);
    const done = json<{ id: string; workerId: string | null; status: string }>(r);
    expect(done.status).toBe("completed");
    expect(done.workerId).toMatch(/-cli$/);
    const client = await connectAsTestRole(db.url);
    try {
      const { rows } = await client.query("select stopped_at from herdctl_workers where id = $1", [
        done.workerId,
      ]);
      expect(rows[0].stopped_at).toBeInstanceOf(Date);
    } finally {
      await client.end();
    }
  });

  it("kill -9 of a chat run in the CLI process (no daemon on its machine): its turn is reaped the same way", async () => {
    const before = standin.mainRequests.length;
    const chat = spawn(process.execPath, [BIN, "-s", machines.stateDir("c"), "chat", "greeter"], {
      cwd: machines.dir,
      env: cleanEnv(machines.env("c")),
      stdio: ["pipe", "ignore", "ignore"],
    });
    chats.push(chat);
    // One message from the pipe, and the pipe kept open: the chat waits on its turn.
    chat.stdin!.write("@standin hang\n");
    await until(() => standin.mainRequests.length > before, "the chat turn's request at the stand-in");
    const turn = await poll(async () => {
      const row = (await jobs()).find(
        (j) => j.worker_id?.endsWith("-cli") && j.status === "running" && j.trigger_type === "chat",
      );
      return row?.pid ? row : undefined;
    }, "the chat turn running, its record naming the CLI as its member");
    orphans.push(Number(turn.pid));
    chat.kill("SIGKILL");
    const reaped = await poll(
      async () => {
        const row = await job(turn.id);
        return row?.status === "interrupted" ? row : undefined;
      },
      "the killed chat's turn interrupted by b's reaper",
      30_000,
    );
    expect(reaped.error).toBe(MEMBER_GONE);
  });

  it("a chat run in the CLI process that ends normally leaves its member row stopped", async () => {
    const chat = spawn(process.execPath, [BIN, "-s", machines.stateDir("c"), "chat", "greeter"], {
      cwd: machines.dir,
      env: cleanEnv(machines.env("c")),
      stdio: ["pipe", "ignore", "pipe"],
    });
    chats.push(chat);
    let stderr = "";
    chat.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => chat.once("exit", resolve));
    chat.stdin!.end("Hello.\n");
    expect(await exited, stderr).toBe(0);
    const turn = (await jobs()).filter((j) => j.trigger_type === "chat" && j.status === "completed").at(-1)!;
    expect(turn.worker_id).toMatch(/-cli$/);
    const client = await connectAsTestRole(db.url);
    try {
      const { rows } = await client.query("select stopped_at from herdctl_workers where id = $1", [
        turn.worker_id,
      ]);
      expect(rows[0].stopped_at).toBeInstanceOf(Date);
    } finally {
      await client.end();
    }
  });
});
