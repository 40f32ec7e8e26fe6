import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JobOutputStore } from "../../src/state/job-output.js";
import { tempDir } from "./helpers.js";

const ID = "job-20250102030405-abc123";
const LINES = 3000;

/**
 * Lines of very different sizes, some longer than the store's 1 MiB read chunk, some multi-byte;
 * more lines than the store's line index step, so pages start from remembered offsets.
 */
function fill(store: JobOutputStore): unknown[] {
  const messages: unknown[] = [];
  for (let i = 0; i < LINES; i++) {
    const size = i % 1000 === 999 ? 1_500_000 : (i * 7919) % 600;
    const message = { i, text: `${"é".repeat(i % 3)}${"x".repeat(size)}` };
    store.append(ID, message);
    messages.push(message);
  }
  return messages;
}

describe("JobOutputStore pages and streaming", () => {
  it("pages through the output exactly: no line lost or repeated, each page within its limits", () => {
    const store = new JobOutputStore(tempDir());
    const messages = fill(store);
    for (const [limit, maxBytes] of [
      [25, 1_000_000_000],
      [1000, 20_000],
      [400, 300_000],
    ] as const) {
      const seen: number[] = [];
      let offset: number | null = 0;
      while (offset !== null) {
        const page = store.page(ID, { fromLine: offset, limit, maxBytes });
        expect(page.lines.length).toBeGreaterThan(0);
        expect(page.lines.length).toBeLessThanOrEqual(limit);
        const bytes = page.lines.reduce((n, l) => n + Buffer.byteLength(l.json) + 1, 0);
        // A single line larger than the byte cap still gets through, on a page of its own.
        if (page.lines.length > 1) expect(bytes).toBeLessThanOrEqual(maxBytes);
        for (const l of page.lines) {
          expect(JSON.parse(l.json)).toEqual(messages[l.line]);
          seen.push(l.line);
        }
        offset = page.nextLine;
      }
      expect(seen).toEqual(messages.map((_, i) => i));
    }
  });

  it("gives an empty last page past the end, and streams from any line", () => {
    const store = new JobOutputStore(tempDir());
    const messages = fill(store);
    expect(store.page(ID, { fromLine: LINES, limit: 10, maxBytes: 1000 })).toEqual({
      lines: [],
      nextLine: null,
    });
    expect(store.lineCount(ID)).toBe(LINES);
    for (const from of [0, 1023, 1024, 2990]) {
      const rest = [...store.lines(ID, { fromLine: from })];
      expect(rest.map((l) => l.line)).toEqual(messages.slice(from).map((_, i) => from + i));
      expect(rest.map((l) => l.message)).toEqual(messages.slice(from));
    }
    // A fresh store (another process) reads the same without the remembered offsets.
    expect(
      [...new JobOutputStore(store.jobsDir).lines(ID, { fromLine: 2990 })].map((l) => l.message),
    ).toEqual(messages.slice(2990));
  });

  it("leaves out a last line still being written, in pages, streams and counts", () => {
    const dir = tempDir();
    const store = new JobOutputStore(dir);
    store.append(ID, { n: 1 });
    appendFileSync(join(dir, `${ID}.jsonl`), '{"n":');
    expect(store.lineCount(ID)).toBe(1);
    expect([...store.lines(ID)]).toEqual([{ line: 0, message: { n: 1 } }]);
    expect(store.page(ID, { limit: 10, maxBytes: 1000 })).toEqual({
      lines: [{ line: 0, json: '{"n":1}' }],
      nextLine: null,
    });
  });
});
