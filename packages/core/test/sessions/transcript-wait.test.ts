import { appendFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitForTranscriptText } from "../../src/sessions/transcript-wait.js";
import { tempDir } from "../helpers/fleet.js";

const CALL = '"id":"toolu_0123"';

describe("waiting for a line in claude's transcript", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("finds text written in two parts, the second after the first was read", async () => {
    const path = join(tmp.dir, "s.jsonl");
    writeFileSync(path, '{"type":"user"}\n{"type":"assistant","content":[{"id":"to');
    let looks = 0;
    const locate = () => {
      looks += 1;
      if (looks === 2) appendFileSync(path, 'olu_0123"}]}\n');
      return path;
    };
    expect(await waitForTranscriptText(locate, CALL, 10_000)).toBe(true);
    expect(looks).toBe(2);
  });

  it("waits for a transcript that is not there yet", async () => {
    const path = join(tmp.dir, "s.jsonl");
    let looks = 0;
    const locate = () => {
      looks += 1;
      if (looks < 3) return undefined;
      if (looks === 3) writeFileSync(path, `{${CALL}}\n`);
      return path;
    };
    expect(await waitForTranscriptText(locate, CALL, 10_000)).toBe(true);
  });

  it("finds text across the slices a large transcript is read in", async () => {
    const path = join(tmp.dir, "s.jsonl");
    // The call straddles the first 1 MiB slice's end.
    writeFileSync(path, Buffer.concat([Buffer.alloc(1024 * 1024 - 5, "x"), Buffer.from(`${CALL}\n`)]));
    expect(await waitForTranscriptText(() => path, CALL, 10_000)).toBe(true);
  });

  it("gives up after its limit when the text never comes", async () => {
    const path = join(tmp.dir, "s.jsonl");
    writeFileSync(path, '{"type":"user"}\n');
    expect(await waitForTranscriptText(() => path, CALL, 100)).toBe(false);
  });

  it("does not follow a symlink put where the transcript should be", async () => {
    const elsewhere = join(tmp.dir, "elsewhere");
    writeFileSync(elsewhere, `{${CALL}}\n`);
    const path = join(tmp.dir, "s.jsonl");
    symlinkSync(elsewhere, path);
    expect(await waitForTranscriptText(() => path, CALL, 100)).toBe(false);
  });
});
