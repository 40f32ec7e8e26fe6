import { describe, expect, it } from "vitest";
import { budgetWindow } from "../../src/spend/windows.js";

describe("budget windows", () => {
  it("follows the zone's calendar across a daylight-saving change", () => {
    // Berlin moves to summer time on 29 March 2026: that day is 23 hours long.
    const day = budgetWindow("daily", new Date("2026-03-29T12:00:00Z"), "Europe/Berlin");
    expect(day.start.toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(day.resetsAt.toISOString()).toBe("2026-03-29T22:00:00.000Z");
    const month = budgetWindow("monthly", new Date("2026-03-29T12:00:00Z"), "America/New_York");
    expect(month.start.toISOString()).toBe("2026-03-01T05:00:00.000Z");
    expect(month.resetsAt.toISOString()).toBe("2026-04-01T04:00:00.000Z");
  });

  it("puts local midnight in the window it starts", () => {
    const midnight = new Date("2026-03-28T23:00:00Z");
    expect(budgetWindow("daily", midnight, "Europe/Berlin").start).toEqual(midnight);
    const before = new Date(midnight.getTime() - 1);
    expect(budgetWindow("daily", before, "Europe/Berlin").resetsAt).toEqual(midnight);
  });
});
