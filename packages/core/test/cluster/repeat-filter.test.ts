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

  it("tells each of a loop's alternating texts once per quiet period, with what it kept back", () => {
    let now = 0;
    const filter = new RepeatFilter(60_000, () => now);
    const told: string[] = [];
    // A database restart: refused while down, "starting up" while it comes back, and again.
    for (const text of ["refused", "starting up", "refused", "starting up", "refused", "terminated"]) {
      now += 1_000;
      const line = filter.pass("listen", text);
      if (line !== undefined) told.push(line);
    }
    expect(told).toEqual([
      "refused",
      "starting up",
      'terminated (2 more like "refused", 1 more like "starting up" not shown)',
    ]);
    now += 60_000;
    expect(filter.pass("listen", "refused")).toBe("refused");
  });
});
