import { describe, expect, it } from "vitest";
import { splitMessage } from "../../../src/chat/connectors/split.js";

/** Every fence opened in a chunk is closed in it. */
function fencesBalanced(chunk: string): boolean {
  return chunk.split("\n").filter((line) => /^\s*```/.test(line)).length % 2 === 0;
}

const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe("splitMessage", () => {
  it("keeps a short reply in one message, unchanged", () => {
    expect(splitMessage("hello\n\nworld", 2000)).toEqual(["hello\n\nworld"]);
  });

  it("breaks between paragraphs before it breaks lines or words", () => {
    const a = "a".repeat(60);
    const b = "b".repeat(60);
    const c = "c".repeat(60);
    const chunks = splitMessage(`${a}\n\n${b}\n\n${c}`, 130);
    expect(chunks).toEqual([`${a}\n\n${b}`, c]);
  });

  it("breaks a paragraph too long for one message at lines, then at words, losing no word", () => {
    const paragraph = Array.from({ length: 50 }, (_, i) => `word${i}`).join(" ");
    const chunks = splitMessage(paragraph, 40);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(40);
    expect(chunks.flatMap(words)).toEqual(words(paragraph));
    // No word is cut in two.
    for (const chunk of chunks) for (const w of words(chunk)) expect(w).toMatch(/^word\d+$/);
  });

  it("cuts a single word longer than the limit", () => {
    const chunks = splitMessage("x".repeat(45), 20);
    expect(chunks).toEqual(["x".repeat(20), "x".repeat(20), "x".repeat(5)]);
  });

  it("keeps a code block whole, moving it to the next message rather than cutting it", () => {
    const prose = "p".repeat(70);
    const code = "```ts\nconst a = 1;\nconst b = 2;\n```";
    const chunks = splitMessage(`${prose}\n\n${code}\n\nafter`, 80);
    expect(chunks[0]).toBe(prose);
    expect(chunks[1]).toContain(code);
    for (const chunk of chunks) expect(fencesBalanced(chunk)).toBe(true);
  });

  it("closes and reopens the fence when one block alone is over the limit", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} of the block`);
    const block = `\`\`\`python\n${lines.join("\n")}\n\`\`\``;
    const chunks = splitMessage(`intro\n\n${block}`, 200);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(200);
      expect(fencesBalanced(chunk)).toBe(true);
    }
    const codeChunks = chunks.filter((c) => c.includes("```"));
    for (const chunk of codeChunks) expect(chunk).toMatch(/```python\n[\s\S]*\n```$/);
    const kept = chunks
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("line "));
    expect(kept).toEqual(lines);
  });

  it("closes an unclosed fence in each piece", () => {
    const chunks = splitMessage(`\`\`\`\n${"x\n".repeat(30)}`, 30);
    for (const chunk of chunks) expect(fencesBalanced(chunk)).toBe(true);
  });

  it("splits a 5,000-character reply for Discord into messages of at most 2,000", () => {
    const paragraphs = Array.from({ length: 50 }, (_, i) => `Paragraph ${i}: ${"lorem ipsum ".repeat(8)}`);
    const text = paragraphs.join("\n\n");
    const chunks = splitMessage(text, 2000);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(text.length / 2000));
    // Whole paragraphs only: every message starts with one.
    for (const chunk of chunks) expect(chunk).toMatch(/^Paragraph \d+:/);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(2000);
    expect(chunks.join("\n\n")).toBe(text);
  });

  it("refuses a limit too small to be meaningful", () => {
    expect(() => splitMessage("text", 3)).toThrow(/too small/);
  });
});
