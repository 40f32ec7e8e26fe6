import { describe, expect, it } from "vitest";
import { firedAt, HOUR, harness, MIN } from "./helpers.js";

const d = (iso: string) => new Date(iso);
const nineUtc = { type: "cron", cron: "0 9 * * *", timezone: "UTC" } as const;

describe("Scheduler: fires missed while down", () => {
  it("catch_up latest (default) fires ONE run at start for a fire missed within the hour", () => {
    const { clock, scheduler, fires, skips } = harness("2025-01-06T09:40:00Z", { instantRuns: true });
    scheduler.setSchedules(
      "a",
      { nine: nineUtc },
      new Map([["nine", { nextRunAt: d("2025-01-06T09:00:00Z") }]]),
    );
    scheduler.start();
    clock.advanceTo("2025-01-07T09:00:00Z");
    expect(fires.map((f) => [f.reason, f.scheduledAt.toISOString(), f.firedAt])).toEqual([
      ["catch_up", "2025-01-06T09:00:00.000Z", "2025-01-06T09:40:00.000Z"],
      ["due", "2025-01-07T09:00:00.000Z", "2025-01-07T09:00:00.000Z"],
    ]);
    expect(skips).toEqual([]);
  });

  it("catches up only the latest of many missed fires", () => {
    const hourly = { type: "cron", cron: "0 * * * *", timezone: "UTC" } as const;
    const { clock, scheduler, fires, skips } = harness("2025-01-06T09:30:00Z", { instantRuns: true });
    scheduler.setSchedules("a", { hourly }, new Map([["hourly", { nextRunAt: d("2025-01-06T05:00:00Z") }]]));
    scheduler.start();
    clock.advanceTo("2025-01-06T09:59:00Z");
    expect(fires.map((f) => [f.reason, f.scheduledAt.toISOString()])).toEqual([
      ["catch_up", "2025-01-06T09:00:00.000Z"],
    ]);
    expect(skips).toEqual([]);
  });

  it("reports a fire missed outside the window as skipped and waits for the next one", () => {
    const { clock, scheduler, fires, skips } = harness("2025-01-06T10:30:00Z", { instantRuns: true });
    scheduler.setSchedules(
      "a",
      { nine: nineUtc },
      new Map([["nine", { nextRunAt: d("2025-01-06T09:00:00Z") }]]),
    );
    scheduler.start();
    expect(skips).toEqual([
      {
        agent: "a",
        schedule: "nine",
        scheduledAt: d("2025-01-06T09:00:00Z"),
        reason: "missed",
        skippedAt: "2025-01-06T10:30:00.000Z",
      },
    ]);
    clock.advanceTo("2025-01-07T09:00:00Z");
    expect(firedAt(fires)).toEqual(["2025-01-07T09:00:00.000Z"]);
  });

  it("honours a longer catch_up_window", () => {
    const { clock, scheduler, fires } = harness("2025-01-06T10:30:00Z", { instantRuns: true });
    scheduler.setSchedules(
      "a",
      { nine: { ...nineUtc, catch_up_window: 2 * HOUR } },
      new Map([["nine", { nextRunAt: d("2025-01-06T09:00:00Z") }]]),
    );
    scheduler.start();
    clock.advance(0);
    expect(fires.map((f) => f.reason)).toEqual(["catch_up"]);
  });

  it("catch_up none never catches up, even a minute late, and reports the miss", () => {
    const { clock, scheduler, fires, skips } = harness("2025-01-06T09:01:00Z", { instantRuns: true });
    scheduler.setSchedules(
      "a",
      { nine: { ...nineUtc, catch_up: "none" } },
      new Map([["nine", { nextRunAt: d("2025-01-06T09:00:00Z") }]]),
    );
    scheduler.start();
    clock.advanceTo("2025-01-06T23:00:00Z");
    expect(fires).toEqual([]);
    expect(skips.map((s) => [s.reason, s.scheduledAt.toISOString()])).toEqual([
      ["missed", "2025-01-06T09:00:00.000Z"],
    ]);
  });

  it("interval: catches up at start (after start_delay), then counts from the end of that run", () => {
    const { clock, scheduler, fires } = harness("2025-01-06T09:00:00Z");
    scheduler.setSchedules(
      "a",
      { poll: { type: "interval", interval: 15 * MIN, start_delay: MIN } },
      new Map([["poll", { lastRunAt: d("2025-01-06T08:00:00Z"), nextRunAt: d("2025-01-06T08:20:00Z") }]]),
    );
    scheduler.start();
    clock.advance(MIN);
    expect(fires.map((f) => [f.reason, f.scheduledAt.toISOString(), f.firedAt])).toEqual([
      ["catch_up", "2025-01-06T08:50:00.000Z", "2025-01-06T09:01:00.000Z"],
    ]);
    scheduler.runStarted("a", "poll");
    clock.advance(4 * MIN);
    scheduler.runFinished("a", "poll", clock.now());
    clock.advance(15 * MIN);
    expect(firedAt(fires)).toEqual(["2025-01-06T09:01:00.000Z", "2025-01-06T09:20:00.000Z"]);
  });

  it("interval: a restart within the interval keeps the saved plan and catches nothing up", () => {
    const { clock, scheduler, fires, skips } = harness("2025-01-06T09:00:00Z");
    scheduler.setSchedules(
      "a",
      { poll: { type: "interval", interval: 15 * MIN } },
      new Map([["poll", { lastRunAt: d("2025-01-06T08:50:00Z"), nextRunAt: d("2025-01-06T09:07:00Z") }]]),
    );
    scheduler.start();
    clock.advance(10 * MIN);
    expect(firedAt(fires)).toEqual(["2025-01-06T09:07:00.000Z"]);
    expect(fires[0]?.reason).toBe("due");
    expect(skips).toEqual([]);
  });

  it("a disabled schedule neither catches up nor reports misses", () => {
    const { clock, scheduler, fires, skips } = harness("2025-01-06T09:30:00Z");
    scheduler.setSchedules(
      "a",
      { nine: nineUtc },
      new Map([["nine", { nextRunAt: d("2025-01-06T09:00:00Z"), enabledOverride: false }]]),
    );
    scheduler.start();
    clock.advance(HOUR);
    expect(fires).toEqual([]);
    expect(skips).toEqual([]);
  });

  it("after stop and start, catches up what fell due in between", () => {
    const { clock, scheduler, fires } = harness("2025-01-06T08:30:00Z", { instantRuns: true });
    scheduler.setSchedules("a", { nine: nineUtc });
    scheduler.start();
    scheduler.stop();
    clock.advanceTo("2025-01-06T09:20:00Z");
    expect(fires).toEqual([]);
    scheduler.start();
    clock.advance(0);
    expect(fires.map((f) => [f.reason, f.scheduledAt.toISOString(), f.firedAt])).toEqual([
      ["catch_up", "2025-01-06T09:00:00.000Z", "2025-01-06T09:20:00.000Z"],
    ]);
  });
});
