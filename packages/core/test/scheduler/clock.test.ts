import { describe, expect, it } from "vitest";
import { FakeClock, systemClock } from "../../src/scheduler/clock.js";

describe("FakeClock", () => {
  it("fires due timers in due order, ties in the order they were set, reading each due time", () => {
    const clock = new FakeClock("2025-01-01T00:00:00Z");
    const seen: string[] = [];
    const note = (name: string) => () => seen.push(`${name}@${clock.now().toISOString()}`);
    clock.setTimeout(note("c"), 300);
    clock.setTimeout(note("a"), 100);
    clock.setTimeout(note("b"), 100);
    clock.setTimeout(note("late"), 1_000);
    clock.advance(500);
    expect(seen).toEqual([
      "a@2025-01-01T00:00:00.100Z",
      "b@2025-01-01T00:00:00.100Z",
      "c@2025-01-01T00:00:00.300Z",
    ]);
    expect(clock.now().toISOString()).toBe("2025-01-01T00:00:00.500Z");
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()?.toISOString()).toBe("2025-01-01T00:00:01.000Z");
  });

  it("runs a timer set by a callback when it falls inside the advanced span", () => {
    const clock = new FakeClock("2025-01-01T00:00:00Z");
    const seen: number[] = [];
    const tick = () => {
      seen.push(clock.now().getTime() - Date.parse("2025-01-01T00:00:00Z"));
      if (seen.length < 5) clock.setTimeout(tick, 250);
    };
    clock.setTimeout(tick, 250);
    clock.advanceTo("2025-01-01T00:00:01Z");
    expect(seen).toEqual([250, 500, 750, 1000]);
    expect(clock.pendingTimers).toBe(1);
  });

  it("does not fire a cleared timer, and fires zero-delay timers on advance(0)", () => {
    const clock = new FakeClock(0);
    let fired = 0;
    const handle = clock.setTimeout(() => fired++, 10);
    clock.setTimeout(() => fired++, 0);
    clock.clearTimeout(handle);
    expect(fired).toBe(0);
    clock.advance(0);
    expect(fired).toBe(1);
    clock.advance(100);
    expect(fired).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("refuses to go back in time", () => {
    const clock = new FakeClock("2025-01-01T00:00:00Z");
    expect(() => clock.advanceTo("2024-12-31T23:59:59Z")).toThrow(
      "FakeClock cannot go back in time: now is 2025-01-01T00:00:00.000Z, asked for 2024-12-31T23:59:59Z",
    );
    expect(() => clock.advance(-1)).toThrow("FakeClock.advance needs a duration of 0 ms or more, got -1");
  });
});

describe("systemClock", () => {
  it("reads real time and sets unref'd timers that clear", () => {
    const before = Date.now();
    expect(systemClock.now().getTime()).toBeGreaterThanOrEqual(before);
    const handle = systemClock.setTimeout(() => {
      throw new Error("a cleared timer fired");
    }, 60_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
  });
});
