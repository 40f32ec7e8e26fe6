import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../../test/setup/postgres.js";
import { TRANSCRIPTS_TABLE } from "../../src/cluster/central-schema.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { projectSlug } from "../../src/sessions/transcripts.js";
import { type Queryable, storeTranscript } from "../../src/sessions/travel.js";
import { StateManager } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";

// After a job on PostgreSQL, claude's transcript of its session is stored with its size and hash;
// one over the limit is not stored, the job says so and still completes. A real claude job against
// the Anthropic stand-in (faked, on 127.0.0.1), real PostgreSQL.
const db = postgresDatabase();
let tmp: ReturnType<typeof tempDir>;
let standin: Standin;
let client: pg.Client;

beforeAll(async () => {
  tmp = tempDir("herdctl-stored-transcripts-");
  standin = await startStandin({ responder: () => textReply("noted") });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await standin.close();
  tmp.cleanup();
});

async function runJob(name: string, limit?: number) {
  const root = join(tmp.dir, name);
  const { agent } = await writeFleet(root, "runtime: cli\n");
  const state = new StateManager(join(root, ".herdctl"), { backend: { kind: "postgres", url: db.url } });
  state.open();
  try {
    const env = claudeEnv(standin, root);
    const executor = new JobExecutor({ state, claudePath, env, storedTranscriptLimit: limit });
    const job = await executor.execute({ agent, prompt: "remember the word heron", triggerType: "manual" });
    const notices = state
      .readJobOutput(job.id)
      .map((l) => l.message as { type: string; text?: string })
      .filter((m) => m.type === "herdctl")
      .map((m) => m.text ?? "");
    const file = join(
      env.CLAUDE_CONFIG_DIR!,
      "projects",
      projectSlug(realpathSync(agent.working_directory)),
      `${job.sessionId}.jsonl`,
    );
    const { rows } = await client.query(
      `select bytes, sha256 from ${TRANSCRIPTS_TABLE} where agent = $1 and session_id = $2`,
      [agent.name, job.sessionId],
    );
    return { job, notices, file, row: rows[0] as { bytes: string; sha256: string } | undefined };
  } finally {
    state.close();
  }
}

describe("session transcripts stored after a job (PostgreSQL)", () => {
  it("stores the transcript with its size and sha256", async () => {
    const { job, file, row } = await runJob("stored");
    expect(job.status).toBe("completed");
    const content = readFileSync(file);
    expect(row).toEqual({
      bytes: String(content.length),
      sha256: createHash("sha256").update(content).digest("hex"),
    });
  });

  it("one over the limit is not stored: a notice, and the job still completes", async () => {
    const { job, notices, row } = await runJob("too-large", 64);
    expect(job.status).toBe("completed");
    expect(row).toBeUndefined();
    expect(notices.some((n) => /its transcript \(\d+ bytes\) is over the 64-byte limit/.test(n))).toBe(true);
  });

  it("mid-job: a file the size last stored is not read again, and a shorter copy never replaces a longer one", async () => {
    const root = join(tmp.dir, "mid-job");
    const state = new StateManager(join(root, ".herdctl"), { backend: { kind: "postgres", url: db.url } });
    state.open();
    state.close();
    const cwd = join(root, "workspace");
    mkdirSync(cwd, { recursive: true });
    const place = { configDir: join(root, "claude"), cwd: realpathSync(cwd), docker: false };
    const folder = join(place.configDir, "projects", projectSlug(place.cwd));
    mkdirSync(folder, { recursive: true });
    const session = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
    const file = join(folder, `${session}.jsonl`);
    const stored = async () =>
      (
        await client.query(
          `select content from ${TRANSCRIPTS_TABLE} where agent = 'heron' and session_id = $1`,
          [session],
        )
      ).rows[0]?.content.toString("utf8") as string | undefined;
    const q = client as unknown as Queryable;

    writeFileSync(file, "one\ntwo\n");
    expect(await storeTranscript(q, "heron", session, place)).toEqual({
      kind: "stored",
      bytes: 8,
    });
    writeFileSync(file, "ONE\nTWO\n");
    expect(await storeTranscript(q, "heron", session, place, undefined, { unlessBytes: 8 })).toEqual({
      kind: "unchanged",
      bytes: 8,
    });
    expect(await stored()).toBe("one\ntwo\n");

    // A worker whose job was already resumed elsewhere, still uploading its older, shorter copy.
    writeFileSync(file, "one\n");
    await storeTranscript(q, "heron", session, place);
    expect(await stored()).toBe("one\ntwo\n");
    writeFileSync(file, "one\ntwo\nthree\n");
    await storeTranscript(q, "heron", session, place);
    expect(await stored()).toBe("one\ntwo\nthree\n");
  });

  it("after a job: a copy grown elsewhere meanwhile is not replaced by this machine's shorter one", async () => {
    // A worker that lost its job's lease (frozen, cut off) still stores its transcript when its
    // job ends, after the job was resumed on another worker that has grown the stored copy since.
    const root = join(tmp.dir, "grown-elsewhere");
    const { agent } = await writeFleet(root, "runtime: cli\n");
    const state = new StateManager(join(root, ".herdctl"), { backend: { kind: "postgres", url: db.url } });
    state.open();
    const grown = "x".repeat(200_000);
    try {
      const executor = new JobExecutor({ state, claudePath, env: claudeEnv(standin, root) });
      const first = await executor.execute({
        agent,
        prompt: "remember the word heron",
        triggerType: "manual",
      });
      expect(first.status).toBe("completed");
      const session = first.sessionId!;
      // While the second job's turn is under way, "another worker" stores a longer copy.
      standin.setResponder(async () => {
        await client.query(
          `update ${TRANSCRIPTS_TABLE} set content = content || convert_to($3, 'UTF8'),
             bytes = bytes + octet_length($3) where agent = $1 and session_id = $2`,
          [agent.name, session, grown],
        );
        return textReply("noted");
      });
      const second = await executor.execute({
        agent,
        prompt: "and the word egret",
        triggerType: "manual",
        session: { mode: "resume", sessionId: session },
      });
      expect(second.status).toBe("completed");
      expect(second.sessionId).toBe(session);
      const { rows } = await client.query(
        `select bytes, convert_from(content, 'UTF8') as content from ${TRANSCRIPTS_TABLE} where agent = $1 and session_id = $2`,
        [agent.name, session],
      );
      expect(rows[0].content.endsWith(grown)).toBe(true);
      expect(Number(rows[0].bytes)).toBe(Buffer.byteLength(rows[0].content));
    } finally {
      standin.setResponder(() => textReply("noted"));
      state.close();
    }
  });
});
