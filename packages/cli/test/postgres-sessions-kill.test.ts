import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Standin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { killLeftovers } from "../../../test/setup/process-alive.js";
import { assertBuilt, json, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { offlineMachines, type PgMachines } from "./helpers/pg-machines.js";

// Sessions travel mid-job (issue #17): a leader with no slots and two `herdctl worker`s, each its
// own state directory and claude config directory, on one PostgreSQL database, all talking to one
// Anthropic stand-in (faked, on 127.0.0.1) so the test sees every request. The job writes a file
// (one full tool turn) and then the stand-in never answers; its worker is killed with SIGKILL, so
// no job end ever stores the transcript. The resume on the other worker must still send the
// model the killed run's tool call and its result.
const db = postgresDatabase();
let remove: () => Promise<void>;
let standin: Standin;
let machines: PgMachines;
const workers = new Map<string, { child: ChildProcess; log: string }>();
const MARK = "pelican-ledger-0417";

async function startWorker(id: string): Promise<void> {
  const child = machines.spawn(id, ["worker", "--id", id, "--max-concurrent", "1"]);
  const entry = { child, log: "" };
  const keep = (d: Buffer) => {
    entry.log += d.toString();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  workers.set(id, entry);
  await until(() => entry.log.includes(`worker ${id} of fleet`), `worker ${id} started`);
}

async function query<R extends Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<R[]> {
  const client = await connectAsTestRole(db.url);
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

interface Row extends Record<string, unknown> {
  id: string;
  status: string;
  worker_id: string | null;
  session_id: string | null;
  resumed_from: string | null;
  finished_at: string | null;
  pid: string | null;
}

const jobs = () =>
  query<Row>(
    "select id, status, worker_id, session_id, resumed_from, finished_at, pid from jobs order by created_at, id",
  );

/** Polls until `pick` finds something; the deadline turns a hang into a message with the logs. */
async function poll<T>(pick: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const found = await pick();
    if (found !== undefined) return found;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `${what}: not seen within ${timeoutMs / 1000} s\n${JSON.stringify(await jobs(), null, 1)}\n${[
          ...workers,
        ]
          .map(([id, w]) => `--- ${id}\n${w.log}`)
          .join("\n")}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  assertBuilt();
  ({ machines, standin, remove } = await offlineMachines("herdctl-pg-sessions-kill-", () => db.url));
  await writeFile(
    join(machines.dir, "agents", "greeter.yaml"),
    "name: greeter\nworking_directory: ../workspace\non_interrupt: resume\n",
  );
  await machines.start("lead", ["--max-concurrent", "0"]);
  await startWorker("w1");
  await startWorker("w2");
});

const orphans: number[] = [];
afterAll(async () => {
  // A killed one has no exit code, only a signal: stopDaemon would wait out its 15 s for it.
  for (const { child } of workers.values()) if (child.signalCode === null) await stopDaemon(child);
  await machines.stopAll();
  // The killed worker's claude outlived it, waiting on the reply that never comes.
  killLeftovers(orphans);
  await standin.close();
  await remove();
});

describe("sessions travel mid-job: kill -9 of a worker", () => {
  it("the job resumed on the other worker continues with the killed run's tool turn", async () => {
    const triggered = await machines.run("lead", [
      "--json",
      "trigger",
      "greeter",
      "-p",
      `Keep a note.\n@standin write notes/kept.txt ${MARK}\n@standin hang`,
    ]);
    expect(triggered.code, triggered.stderr).toBe(0);
    const id = json<{ id: string }>(triggered).id;

    // The tool turn is done once claude asks for the next reply (the one that never comes).
    await until(
      () => standin.mainRequests.some((r) => JSON.stringify(r.messages).includes("tool_result")),
      "the Write tool's result sent to the model",
    );
    const first = await poll(async () => {
      const row = (await jobs()).find((j) => j.id === id);
      return row?.status === "running" && row.worker_id && row.session_id ? row : undefined;
    }, "the job running on a worker");
    const session = first.session_id!;
    // Stored mid-job: the job is still running, and no end has stored anything.
    await poll(
      async () => {
        const [row] = await query<{ content: Buffer }>(
          "select content from herdctl_session_transcripts where agent = 'greeter' and session_id = $1",
          [session],
        );
        const text = row?.content.toString("utf8") ?? "";
        return text.includes("tool_result") && text.includes(MARK) ? true : undefined;
      },
      "the running job's tool turn stored in herdctl_session_transcripts",
      60_000,
    );
    expect((await jobs()).find((j) => j.id === id)!.status).toBe("running");

    const victim = first.worker_id!;
    const other = victim === "w1" ? "w2" : "w1";
    if (first.pid) orphans.push(Number(first.pid));
    const before = standin.mainRequests.length;
    workers.get(victim)!.child.kill("SIGKILL");
    const killedAt = Date.now();
    await poll(async () => {
      const row = (await jobs()).find((j) => j.id === id);
      return row?.status === "interrupted" ? row : undefined;
    }, "the killed worker's job interrupted");
    // The lease (10 s) plus a reaper's period, well inside the issue's 30 s.
    expect(Date.now() - killedAt).toBeLessThan(30_000);

    const resumed = await poll(async () => {
      const row = (await jobs()).find((j) => j.resumed_from === id);
      return row?.finished_at ? row : undefined;
    }, "the resumed job ended");
    expect(resumed).toMatchObject({ status: "completed", worker_id: other, session_id: session });

    // What the other worker's claude sent the model: the killed run's prompt, tool call and result.
    const sent = standin.mainRequests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    const messages = JSON.stringify(sent.at(-1)!.messages);
    expect(messages).toContain("Keep a note.");
    expect(messages).toContain("tool_use");
    expect(messages).toContain(MARK);
    expect(messages).toContain("tool_result");

    const logs = await machines.run("lead", ["logs", "--job", resumed.id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain(`session ${session}: its transcript`);
    expect(logs.stdout).toContain("was restored from the database");
  });
});
