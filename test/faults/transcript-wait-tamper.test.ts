import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitForTranscriptText } from "../../packages/core/src/sessions/transcript-wait.js";

// A job paused at stop reads claude's transcript before claude is killed; the agent can write in
// that project folder, so whatever it plants there must cost at most the wait's limit.
const CALL = '"id":"toolu_0123"';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "herdctl-transcript-tamper-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a hostile transcript in place of claude's (agent-written files, real filesystem)", () => {
  it("a FIFO is not waited on: the wait ends at its limit", async () => {
    const path = join(dir, "s.jsonl");
    execFileSync("mkfifo", [path]);
    expect(await waitForTranscriptText(() => path, CALL, 200)).toBe(false);
  });

  it("a symlink to a file holding the call is not followed", async () => {
    const planted = join(dir, "planted.jsonl");
    writeFileSync(planted, `{${CALL}}\n`);
    const path = join(dir, "s.jsonl");
    symlinkSync(planted, path);
    expect(await waitForTranscriptText(() => path, CALL, 200)).toBe(false);
  });

  it("a large file without the call is read in slices and given up on at the limit", async () => {
    const path = join(dir, "s.jsonl");
    writeFileSync(path, Buffer.alloc(8 * 1024 * 1024, "x"));
    expect(await waitForTranscriptText(() => path, CALL, 200)).toBe(false);
  });
});
