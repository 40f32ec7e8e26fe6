import { createHash } from "node:crypto";
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureCentralTables, TRANSCRIPTS_TABLE } from "../../packages/core/src/cluster/central-schema.js";
import type { TranscriptPlace } from "../../packages/core/src/sessions/place.js";
import { projectSlug } from "../../packages/core/src/sessions/transcripts.js";
import { restoreTranscript, storeTranscript } from "../../packages/core/src/sessions/travel.js";
import { postgresDatabase } from "../setup/postgres.js";

/**
 * A stored transcript is agent-written (claude writes it as the agent's conversation goes) and sits
 * in a table anyone with the database's password can change. Restoring one must never write
 * outside the session folder, follow a link an agent planted there, or trust the row's size and
 * hash over its content; storing one must not read through a link. Real PostgreSQL, real files.
 */
const db = postgresDatabase();
const SESSION = "6f1e2d3c-4b5a-4798-8a6b-5c4d3e2f1a0b";
const AGENT = "greeter";
let client: pg.Client;
let root: string;
let place: TranscriptPlace;
let outside: string;

const folder = () => join(place.configDir, "projects", projectSlug(place.cwd));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function putRow(sessionId: string, content: Buffer, claims: { bytes?: number; sha256?: string } = {}) {
  await client.query(
    `insert into ${TRANSCRIPTS_TABLE} (agent, session_id, bytes, sha256, content) values ($1, $2, $3, $4, $5)
     on conflict (agent, session_id) do update set bytes = excluded.bytes, sha256 = excluded.sha256, content = excluded.content`,
    [AGENT, sessionId, claims.bytes ?? content.length, claims.sha256 ?? sha(content), content],
  );
}

beforeAll(async () => {
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await ensureCentralTables(client);
});
afterAll(() => client.end());
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "herdctl-hostile-transcript-"));
  place = { configDir: join(root, "claude"), cwd: "/workspace", docker: true };
  outside = join(root, "outside");
  mkdirSync(outside);
  await client.query(`delete from ${TRANSCRIPTS_TABLE}`);
  return () => rmSync(root, { recursive: true, force: true });
});

describe("a hostile stored transcript row", () => {
  it("a row keyed by a traversal path is never used: the path comes from the job's session id", async () => {
    await putRow("../../../outside/pwned", Buffer.from('{"type":"user"}\n'));
    expect(await restoreTranscript(client, AGENT, SESSION, place)).toEqual({ kind: "none" });
    await expect(restoreTranscript(client, AGENT, "../../../outside/pwned", place)).rejects.toThrow(
      /session id/,
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(place.configDir)).toBe(false);
  });

  it("a session folder that is a link out of the config folder is refused, nothing written through it", async () => {
    mkdirSync(join(place.configDir, "projects"), { recursive: true });
    symlinkSync(outside, folder());
    await putRow(SESSION, Buffer.from('{"type":"user","message":{"content":"hi"}}\n'));
    const result = await restoreTranscript(client, AGENT, SESSION, place);
    expect(result.kind).toBe("refused");
    expect((result as { reason: string }).reason).toContain("is a link");
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a link planted at the transcript's own path is replaced, never followed", async () => {
    mkdirSync(folder(), { recursive: true });
    const victim = join(outside, "authorized_keys");
    writeFileSync(victim, "ssh-ed25519 AAAA keep-me\n");
    symlinkSync(victim, join(folder(), `${SESSION}.jsonl`));
    const content = Buffer.from('{"type":"user","message":{"content":"restored"}}\n');
    await putRow(SESSION, content);
    const result = await restoreTranscript(client, AGENT, SESSION, place);
    expect(result.kind).toBe("restored");
    expect(readFileSync(victim, "utf8")).toBe("ssh-ed25519 AAAA keep-me\n");
    const target = join(folder(), `${SESSION}.jsonl`);
    expect(lstatSync(target).isFile()).toBe(true);
    expect(lstatSync(target).mode & 0o777).toBe(0o600);
    expect(readFileSync(target).equals(content)).toBe(true);
    // No temporary file left beside it.
    expect(readdirSync(folder())).toEqual([`${SESSION}.jsonl`]);
  });

  it("an oversize row, a size that lies and a hash that does not match are refused", async () => {
    const big = Buffer.alloc(4096, "x");
    await putRow(SESSION, big);
    const over = await restoreTranscript(client, AGENT, SESSION, place, 1024);
    expect(over).toMatchObject({ kind: "refused" });
    expect((over as { reason: string }).reason).toContain("over the 1024-byte limit");

    await putRow(SESSION, Buffer.from("short\n"), { bytes: 3 });
    // 3 bytes claimed: a local copy of 0 bytes is shorter, so the content is fetched and checked.
    expect(await restoreTranscript(client, AGENT, SESSION, place)).toMatchObject({
      kind: "refused",
      reason: "it says 3 bytes and holds 6",
    });

    await putRow(SESSION, Buffer.from("changed\n"), { sha256: sha(Buffer.from("original\n")) });
    expect((await restoreTranscript(client, AGENT, SESSION, place)).kind).toBe("refused");
    expect(existsSync(join(folder(), `${SESSION}.jsonl`))).toBe(false);
  });

  it("a local copy at least as long is kept; a shorter one is replaced", async () => {
    mkdirSync(folder(), { recursive: true });
    const target = join(folder(), `${SESSION}.jsonl`);
    writeFileSync(target, "local line one\nlocal line two\n");
    await putRow(SESSION, Buffer.from("stored\n"));
    expect(await restoreTranscript(client, AGENT, SESSION, place)).toEqual({ kind: "current" });
    expect(readFileSync(target, "utf8")).toBe("local line one\nlocal line two\n");
    await putRow(SESSION, Buffer.from("stored line one\nstored line two\nstored line three\n"));
    expect((await restoreTranscript(client, AGENT, SESSION, place)).kind).toBe("restored");
    expect(readFileSync(target, "utf8")).toContain("stored line three");
  });

  it("a Docker agent's restored transcript and the folders made for it belong to the container's user", async () => {
    mkdirSync(place.configDir, { recursive: true });
    chownSync(place.configDir, 1000, 1000);
    const content = Buffer.from('{"type":"user","message":{"content":"from another machine"}}\n');
    await putRow(SESSION, content);
    expect((await restoreTranscript(client, AGENT, SESSION, place)).kind).toBe("restored");
    for (const path of [join(place.configDir, "projects"), folder(), join(folder(), `${SESSION}.jsonl`)]) {
      const stat = lstatSync(path);
      expect([path, stat.uid, stat.gid]).toEqual([path, 1000, 1000]);
    }
    expect(lstatSync(folder()).mode & 0o777).toBe(0o700);
  });

  it("storing: a transcript over the limit is not stored, and a linked one is not read", async () => {
    mkdirSync(folder(), { recursive: true });
    writeFileSync(join(folder(), `${SESSION}.jsonl`), Buffer.alloc(2048, "y"));
    expect(await storeTranscript(client, AGENT, SESSION, place, 1024)).toEqual({
      kind: "too-large",
      bytes: 2048,
      limit: 1024,
    });
    const secret = join(outside, "secret");
    writeFileSync(secret, "not for the database\n");
    rmSync(join(folder(), `${SESSION}.jsonl`));
    symlinkSync(secret, join(folder(), `${SESSION}.jsonl`));
    expect(await storeTranscript(client, AGENT, SESSION, place)).toEqual({ kind: "missing" });
    const { rows } = await client.query(`select count(*)::int as n from ${TRANSCRIPTS_TABLE}`);
    expect(rows[0].n).toBe(0);
  });
});
