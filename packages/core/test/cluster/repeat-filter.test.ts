import { describe, expect, it } from "vitest";
import { RepeatFilter } from "../../src/cluster/repeat-filter.js";

describe("RepeatFilter", () => {
  it("tells the first of a kind, counts repeats within the quiet period, and tells the count with the next line", () => {
    let now = 0;
    const filter = new RepeatFilter(60_000, () => now);
    expect(filter.pass("claim", "claim: refused")).toBe("claim: refused");
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      expect(filter.pass("claim", "claim: refused")).toBeUndefined();
    }
    // Another loop's line is its own.
    expect(filter.pass("listen", "listen: refused")).toBe("listen: refused");
    // A new text is told at once, with the count of what was kept back.
    now += 1_000;
    expect(filter.pass("claim", "claim: shutting down")).toBe(
      'claim: shutting down (5 more like "claim: refused" not shown)',
    );
    // The same text after the quiet period is told again.
    now += 60_000;
    expect(filter.pass("claim", "claim: shutting down")).toBe("claim: shutting down");
  });
});
