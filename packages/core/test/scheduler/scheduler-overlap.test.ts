import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/scheduler/clock.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { harness, MIN } from "./helpers.js";

const START = "2025-01-06T08:00:30.000Z";
const everyMinute = { type: "cron", cron: "* * * * *", timezone: "UTC" } as const;

describe("Scheduler: a fire while the previous run is going", () => {
  it("overlap skip (default) reports the fire as skipped and fires again once idle", () => {
    const { clock, scheduler, fires, skips } = harness(START);
    scheduler.setSchedules("a", { tick: everyMinute });
    scheduler.start();
    clock.advanceTo("2025-01-06T08:01:00Z");
    scheduler.runStarted("a", "tick");
    clock.advanceTo("2025-01-06T08:02:30Z");
    scheduler.runFinished("a", "tick", clock.now());
    clock.advanceTo("2025-01-06T08:03:00Z");
    expect(fires.map((f) => f.firedAt)).toEqual(["2025-01-06T08:01:00.000Z", "2025-01-06T08:03:00.000Z"]);
    expect(skips.map((s) => [s.reason, s.scheduledAt.toISOString()])).toEqual([
      ["overlap", "2025-01-06T08:02:00.000Z"],
    ]);
  });

  it("overlap queue keeps at most ONE pending run and starts it when the running one ends", () => {
    const { clock, scheduler, fires, skips } = harness(START);
    scheduler.setSchedules("a", { tick: { ...everyMinute, overlap: "queue" } });
    scheduler.start();
    clock.advanceTo("2025-01-06T08:01:00Z");
    scheduler.runStarted("a", "tick");
    clock.advanceTo("2025-01-06T08:03:10Z");
    expect(scheduler.snapshot()[0]).toMatchObject({ running: true, pending: true });
    expect(skips.map((s) => [s.reason, s.scheduledAt.toISOString()])).toEqual([
      ["overlap", "2025-01-06T08:03:00.000Z"],
    ]);
    scheduler.runFinished("a", "tick", clock.now());
    expect(fires.map((f) => [f.reason, f.scheduledAt.toISOString(), f.firedAt])).toEqual([
      ["due", "2025-01-06T08:01:00.000Z", "2025-01-06T08:01:00.000Z"],
      ["queued", "2025-01-06T08:02:00.000Z", "2025-01-06T08:03:10.000Z"],
    ]);
    expect(scheduler.snapshot()[0]).toMatchObject({ running: true, pending: false });
  });

  it("overlap replace asks to cancel the running job, then fires, and stays busy through the swap", () => {
    const { clock, scheduler, log } = harness(START);
    scheduler.setSchedules("a", { tick: { ...everyMinute, overlap: "replace" } });
    scheduler.start();
    clock.advanceTo("2025-01-06T08:01:00Z");
    scheduler.runStarted("a", "tick");
    clock.advanceTo("2025-01-06T08:02:00Z");
    expect(log).toEqual(["fire a/tick due", "replace a/tick", "fire a/tick due"]);
    // The cancelled job ends before its replacement is reported started.
    scheduler.runFinished("a", "tick", clock.now());
    expect(scheduler.snapshot()[0]?.running).toBe(true);
    scheduler.runStarted("a", "tick");
    expect(scheduler.snapshot()[0]?.running).toBe(true);
    scheduler.runFinished("a", "tick", clock.now());
    expect(scheduler.snapshot()[0]?.running).toBe(false);
  });

  it("replace stays busy when the cancelled job is reported ended from inside onReplace", () => {
    const clock = new FakeClock(START);
    const log: string[] = [];
    const scheduler: Scheduler = new Scheduler({
      clock,
      onFire: (fire) => log.push(`fire ${fire.scheduledAt.toISOString()}`),
      onSkip: (skip) => log.push(`skip ${skip.reason}`),
      onReplace: (agent, schedule) => {
        log.push("replace");
        scheduler.runFinished(agent, schedule, clock.now());
      },
    });
    scheduler.setSchedules("a", { poll: { type: "interval", interval: MIN, overlap: "replace" } });
    scheduler.start();
    clock.advance(0);
    // A run started by hand is going when the first fire comes due.
    scheduler.runStarted("a", "poll");
    scheduler.runFinished("a", "poll", clock.now());
    scheduler.runStarted("a", "poll");
    clock.advance(MIN);
    expect(log).toEqual(["fire 2025-01-06T08:00:30.000Z", "replace", "fire 2025-01-06T08:01:30.000Z"]);
    expect(scheduler.snapshot()[0]).toMatchObject({ running: true });
    expect(scheduler.snapshot()[0]?.nextRunAt).toBeUndefined();
    clock.advance(10 * MIN);
    expect(log).toHaveLength(3);
  });

  it("an interval schedule applies overlap to a run started by hand, then counts from its end", () => {
    const { clock, scheduler, fires, skips } = harness("2025-01-06T08:00:00Z");
    scheduler.setSchedules("a", {
      poll: { type: "interval", interval: 15 * MIN, start_delay: 5 * MIN, overlap: "queue" },
    });
    scheduler.start();
    clock.advance(MIN);
    scheduler.runStarted("a", "poll");
    clock.advance(10 * MIN);
    expect(scheduler.snapshot()[0]).toMatchObject({ pending: true });
    scheduler.runFinished("a", "poll", clock.now());
    expect(fires.map((f) => [f.reason, f.scheduledAt.toISOString(), f.firedAt])).toEqual([
      ["queued", "2025-01-06T08:05:00.000Z", "2025-01-06T08:11:00.000Z"],
    ]);
    scheduler.runStarted("a", "poll");
    clock.advance(2 * MIN);
    scheduler.runFinished("a", "poll", clock.now());
    clock.advance(15 * MIN);
    expect(fires.map((f) => f.firedAt)).toEqual(["2025-01-06T08:11:00.000Z", "2025-01-06T08:28:00.000Z"]);
    expect(skips).toEqual([]);
  });

  it("disabling a schedule drops its queued run and reports it", () => {
    const { clock, scheduler, fires, skips } = harness(START);
    scheduler.setSchedules("a", { tick: { ...everyMinute, overlap: "queue" } });
    scheduler.start();
    clock.advanceTo("2025-01-06T08:01:00Z");
    scheduler.runStarted("a", "tick");
    clock.advanceTo("2025-01-06T08:02:00Z");
    scheduler.setEnabled("a", "tick", false);
    scheduler.runFinished("a", "tick", clock.now());
    clock.advanceTo("2025-01-06T08:10:00Z");
    expect(fires).toHaveLength(1);
    expect(skips.map((s) => [s.reason, s.scheduledAt.toISOString(), s.skippedAt])).toEqual([
      ["disabled", "2025-01-06T08:02:00.000Z", "2025-01-06T08:02:00.000Z"],
    ]);
  });
});
