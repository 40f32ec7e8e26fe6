import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { projectSlug } from "@herdctl/core/internal";
import type { Standin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, json } from "./helpers/cli.js";
import { offlineMachines, type PgMachines } from "./helpers/pg-machines.js";

// Sessions travel: two real daemons (the built CLI) on one PostgreSQL database, each with its own
// state directory and its own claude config directory, as two machines would have. A job on "a"
// leaves its conversation in a's config only; a resume of that session triggered on "b" finds it
// restored from the database, and the Anthropic stand-in (faked, on 127.0.0.1) receives the
// earlier turns in b's request.
const db = postgresDatabase();
let remove: () => Promise<void>;
let standin: Standin;
let machines: PgMachines;

const on = (name: string, args: string[]) => machines.run(name, args);

const transcript = (name: string, sessionId: string) =>
  join(
    machines.dir,
    `claude-${name}`,
    "projects",
    projectSlug(realpathSync(join(machines.dir, "workspace"))),
    `${sessionId}.jsonl`,
  );

async function storedBytes(sessionId: string): Promise<number | undefined> {
  const client = await connectAsTestRole(db.url);
  try {
    const { rows } = await client.query(
      "select bytes from herdctl_session_transcripts where agent = 'greeter' and session_id = $1",
      [sessionId],
    );
    return rows[0] ? Number(rows[0].bytes) : undefined;
  } finally {
    await client.end();
  }
}

interface Job {
  id: string;
  status: string;
  sessionId: string | null;
}

beforeAll(async () => {
  assertBuilt();
  ({ machines, standin, remove } = await offlineMachines("herdctl-pg-sessions-", () => db.url));
  // Only a runs while the first job is queued: both daemons are workers of one queue, and the
  // first job must run on a for its transcript to be a's alone.
  await machines.start("a");
});
afterAll(async () => {
  await machines.stopAll();
  await standin.close();
  await remove();
});

describe("sessions travel between daemons on one PostgreSQL database", () => {
  it("a session made on daemon a is resumed on daemon b with its earlier turns", async () => {
    const first = await on("a", [
      "--json",
      "trigger",
      "greeter",
      "-p",
      "remember the word pelican",
      "--wait",
    ]);
    expect(first.code, first.stderr).toBe(0);
    const a = json<Job>(first);
    expect(a.status).toBe("completed");
    const session = a.sessionId!;
    expect(existsSync(transcript("a", session))).toBe(true);
    expect(existsSync(transcript("b", session))).toBe(false);
    expect(await storedBytes(session)).toBeGreaterThan(0);

    // Now b is the only worker: a stops before b starts, so the resume is claimed by b.
    const stopped = await on("a", ["stop"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await machines.start("b");

    const before = standin.mainRequests.length;
    const second = await on("b", [
      "--json",
      "trigger",
      "greeter",
      "--resume",
      session,
      "-p",
      "which word was it?",
      "--wait",
    ]);
    expect(second.code, second.stderr).toBe(0);
    const b = json<Job>(second);
    expect(b).toMatchObject({ status: "completed", sessionId: session });

    // What b's claude sent the model: the earlier turn from a, then the new prompt.
    const sent = standin.mainRequests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    const texts = JSON.stringify(sent.at(-1)!.messages);
    expect(texts).toContain("remember the word pelican");
    expect(texts).toContain("which word was it?");
    expect(existsSync(transcript("b", session))).toBe(true);

    // b's job said where the conversation came from, and its longer transcript is the stored one.
    const logs = await on("b", ["logs", "--job", b.id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain(`session ${session}: its transcript`);
    expect(logs.stdout).toContain("was restored from the database");
    const stored = await storedBytes(session);
    expect(stored).toBeGreaterThan(0);
  });
});
