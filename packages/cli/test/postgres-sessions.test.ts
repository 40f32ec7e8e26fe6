// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { projectSlug } from "@herdctl/core/internal";
import { offlineResponder, type Standin, startStandin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";

// Sessions travel: two real daemons (the built CLI) on one PostgreSQL database, each with its own
// state directory and its own claude config directory, as two machines would have. A job on "a"
// leaves its conversation in a's config only; a resume of that session triggered on "b" finds it
// restored from the database, and the Anthropic stand-in (faked, on 127.0.0.1) receives the
// earlier turns in b's request.
const db = postgresDatabase();
let dir: string;
let remove: () => Promise<void>;
let standin: Standin;
const daemons: ChildProcess[] = [];

const machineEnv = (name: string) => ({
  HERDCTL_STATE_URL: db.url,
  ANTHROPIC_BASE_URL: standin.url,
  ANTHROPIC_API_KEY: "sk-ant-test-sessions-0123456789",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  CLAUDE_CODE_MAX_RETRIES: "0",
  CLAUDE_CONFIG_DIR: join(dir, `claude-${name}`),
  HOME: join(dir, `home-${name}`),
});
const stateDir = (name: string) => join(dir, `.herdctl-${name}`);

async function startMachine(name: string): Promise<void> {
  const daemon = spawn(process.execPath, [BIN, "-s", stateDir(name), "start"], {
    cwd: dir,
    env: cleanEnv(machineEnv(name)),
    stdio: "ignore",
  });
  daemons.push(daemon);
  await until(() => existsSync(join(stateDir(name), "herdctl.sock")), `daemon ${name}'s control socket`);
}

const on = (name: string, args: string[]) =>
  herdctl(["-s", stateDir(name), ...args], { cwd: dir, env: machineEnv(name) });

const transcript = (name: string, sessionId: string) =>
  join(
    dir,
    `claude-${name}`,
    "projects",
    projectSlug(realpathSync(join(dir, "workspace"))),
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
  standin = await startStandin({ responder: offlineResponder });
  ({ dir, remove } = await tempDir("herdctl-pg-sessions-"));
  await writeFleet(dir);
  await appendFile(join(dir, "herdctl.yaml"), "state:\n  backend: postgres\n  url: ${HERDCTL_STATE_URL}\n");
  await startMachine("a");
  await startMachine("b");
});
afterAll(async () => {
  for (const daemon of daemons) await stopDaemon(daemon);
  await standin.close();
  await remove();
});

describe("sessions travel between daemons on one PostgreSQL database", () => {
  it("a session made on daemon a is resumed on daemon b with its earlier turns", async () => {
    const first = await on("a", ["--json", "trigger", "greeter", "-p", "remember the word pelican", "--wait"]);
    expect(first.code, first.stderr).toBe(0);
    const a = json<Job>(first);
    expect(a.status).toBe("completed");
    const session = a.sessionId!;
    expect(existsSync(transcript("a", session))).toBe(true);
    expect(existsSync(transcript("b", session))).toBe(false);
    expect(await storedBytes(session)).toBeGreaterThan(0);

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
    const logs = await on("a", ["logs", "--job", b.id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain(`session ${session}: its transcript`);
    expect(logs.stdout).toContain("was restored from the database");
    const stored = await storedBytes(session);
    expect(stored).toBeGreaterThan(0);
  });
});
