import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Standin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, freePort, json, until } from "./helpers/cli.js";
import { offlineMachines, type PgMachines } from "./helpers/pg-machines.js";

// Live output from another machine: a job runs on daemon "a" with a model turn silent for 60 s
// (the Anthropic stand-in, faked on 127.0.0.1, waits before its reply). `logs -f --job` through
// daemon "b", and on "c" with no daemon at all (the CLI reads PostgreSQL itself), print the job's
// lines while it runs, wait through the silence, and end when the job ends; so does a `/ws`
// subscription to b's dashboard server.
const SILENCE_MS = 60_000;
const db = postgresDatabase();
let remove: () => Promise<void>;
let standin: Standin;
let machines: PgMachines;
let webPort: number;

interface Follower {
  child: ChildProcess;
  /** NDJSON events with the time each arrived. */
  events: { at: number; type: string; line?: number; text: string }[];
  exited: Promise<number | null>;
}

function follow(name: string, jobId: string): Follower {
  const child = machines.spawn(name, ["--json", "logs", "-f", "--job", jobId]);
  const events: Follower["events"] = [];
  let buffered = "";
  child.stdout!.on("data", (chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const event = JSON.parse(text) as { type: string; payload: { line?: number } };
      events.push({ at: Date.now(), type: event.type, line: event.payload.line, text });
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, events, exited };
}

/** A `/ws` subscription to the job on daemon b's dashboard server, messages timed as they arrive. */
function subscribe(jobId: string): {
  messages: { at: number; type: string; line?: number }[];
  ended: Promise<void>;
} {
  const url = `http://127.0.0.1:${webPort}`;
  const token = readFileSync(join(machines.stateDir("b"), "web-token"), "utf8").trim();
  const ws = new WebSocket(`ws://127.0.0.1:${webPort}/ws`, {
    headers: { origin: url, authorization: `Bearer ${token}` },
  });
  const messages: { at: number; type: string; line?: number }[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => reject(new Error(`/ws answered ${res.statusCode}`)));
    ws.on("message", (data) => {
      const m = JSON.parse(data.toString()) as { type: string; line?: number };
      messages.push({ at: Date.now(), type: m.type, line: m.line });
      if (m.type === "output-end") {
        ws.close();
        resolve();
      }
    });
  });
  ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", jobId })));
  return { messages, ended };
}

async function jobRow(id: string): Promise<{ status: string; finished: number | null }> {
  const client = await connectAsTestRole(db.url);
  try {
    const { rows } = await client.query("select status, finished_at from jobs where id = $1", [id]);
    return { status: rows[0].status, finished: rows[0].finished_at ? Date.parse(rows[0].finished_at) : null };
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  assertBuilt();
  ({ machines, standin, remove } = await offlineMachines("herdctl-pg-follow-", () => db.url));
  webPort = await freePort();
  await machines.start("a");
  // b takes no jobs from the queue (both are workers of it): the job runs on a, b only reads.
  await machines.start("b", ["--web", "--web-port", String(webPort), "--max-concurrent", "0"]);
});
afterAll(async () => {
  await machines.stopAll();
  await standin.close();
  await remove();
});

describe("logs -f of a job running on another machine (PostgreSQL)", () => {
  it(
    "through another daemon and with no daemon: lines live, through a 60 s silent turn, ending with the job",
    async () => {
      const prompt = `@standin delay ${SILENCE_MS}\n@standin text quiet for a minute, then this`;
      const triggered = await machines.run("a", ["--json", "trigger", "greeter", "-p", prompt]);
      expect(triggered.code, triggered.stderr).toBe(0);
      const { id } = json<{ id: string }>(triggered);
      const startedAt = Date.now();

      const viaB = follow("b", id);
      const noDaemon = follow("c", id);
      const ws = subscribe(id);
      // Lines written before the silence reach both while the job still runs.
      await until(
        () =>
          viaB.events.some((e) => e.type === "job:output") &&
          noDaemon.events.some((e) => e.type === "job:output"),
        "the job's first lines on b and c",
      );
      await until(() => ws.messages.some((m) => m.type === "output"), "the job's first line on b's /ws");
      expect((await jobRow(id)).status).toBe("running");

      const [codeB, codeC] = await Promise.all([viaB.exited, noDaemon.exited]);
      expect(codeB).toBe(0);
      expect(codeC).toBe(0);
      const row = await jobRow(id);
      expect(row.status).toBe("completed");
      expect(row.finished! - startedAt).toBeGreaterThanOrEqual(SILENCE_MS - 5_000);
      for (const f of [viaB, noDaemon]) {
        const lines = f.events.filter((e) => e.type === "job:output");
        // Every line once, in order, from the first; the reply after the silence among them.
        expect(lines.map((e) => e.line)).toEqual(lines.map((_, i) => i));
        expect(lines.some((e) => e.text.includes("quiet for a minute, then this"))).toBe(true);
        expect(f.events.at(-1)!.type).toBe("job:completed");
        // Lines came before the silence and after it: live, not printed at the end.
        expect(lines[0]!.at).toBeLessThan(row.finished! - 30_000);
      }
      await ws.ended;
      const wsLines = ws.messages.filter((m) => m.type === "output");
      expect(wsLines.map((m) => m.line)).toEqual(wsLines.map((_, i) => i));
      expect(wsLines.length).toBe(viaB.events.filter((e) => e.type === "job:output").length);
      expect(wsLines[0]!.at).toBeLessThan(row.finished! - 30_000);
      expect(ws.messages.at(-1)!.type).toBe("output-end");
    },
    SILENCE_MS + 180_000,
  );
});
