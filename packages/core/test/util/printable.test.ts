import { describe, expect, it } from "vitest";
import { oneLine, printable } from "../../src/util/printable.js";

const HOSTILE = "a\u0000b\u001b[31mc\u007fd\u0085e\u009bf\u2028g\u2029h\ni\tj";

describe("printable", () => {
  it("shows every control character and line separator as ? and keeps the text's length", () => {
    const out = printable(HOSTILE, 100);
    expect(out).toBe("a?b?[31mc?d?e?f?g?h?i?j");
    expect(out).toHaveLength(HOSTILE.length);
  });

  it("cuts before replacing, to at most max characters", () => {
    expect(printable(`${"x".repeat(10)}\u001b`, 5)).toBe("xxxxx");
  });
});

describe("oneLine", () => {
  it("turns runs of control characters into one space and trims the ends", () => {
    expect(oneLine("\n\n  deny:\r\n\u001b[2Jwipe\u2028it \u0000", 100)).toBe("deny: [2Jwipe it");
  });

  it("is at most max characters and empty when nothing printable is left", () => {
    expect(oneLine("abcdef", 3)).toBe("abc");
    expect(oneLine("\u0000\u0085\u2029", 10)).toBe("");
  });
});
