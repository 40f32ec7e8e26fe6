import { describe, expect, it } from "vitest";
import { InvalidScheduleError, ScheduleNotFoundError } from "../../src/scheduler/errors.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { DAY, firedAt, HOUR, harness, MIN } from "./helpers.js";

const START = "2025-01-06T08:00:00.000Z";

describe("Scheduler: interval", () => {
  it("fires at start, then 15m after the previous run ENDED (a 10 min run fires again at +25m)", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 15 * MIN } });
    scheduler.start();
    expect(fires).toEqual([]); // start never fires synchronously
    clock.advance(0);
    expect(fires).toEqual([
      { agent: "a", schedule: "poll", scheduledAt: new Date(START), reason: "due", firedAt: START },
    ]);
    scheduler.runStarted("a", "poll");
    clock.advance(10 * MIN);
    scheduler.runFinished("a", "poll", clock.now());
    expect(scheduler.snapshot()[0]?.nextRunAt?.toISOString()).toBe("2025-01-06T08:25:00.000Z");
    clock.advance(15 * MIN - 1);
    expect(fires).toHaveLength(1);
    clock.advance(1);
    expect(firedAt(fires)).toEqual([START, "2025-01-06T08:25:00.000Z"]);
  });

  it("does not fire again while its run is going, however long it takes", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 15 * MIN } });
    scheduler.start();
    clock.advance(0);
    scheduler.runStarted("a", "poll");
    clock.advance(3 * HOUR);
    expect(fires).toHaveLength(1);
    expect(scheduler.snapshot()).toEqual([
      {
        agent: "a",
        schedule: "poll",
        type: "interval",
        enabled: true,
        lastRunAt: new Date(START),
        running: true,
        pending: false,
      },
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("waits start_delay before the first run", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 15 * MIN, start_delay: 2 * MIN } });
    scheduler.start();
    clock.advance(2 * MIN - 1);
    expect(fires).toEqual([]);
    clock.advance(1);
    expect(firedAt(fires)).toEqual(["2025-01-06T08:02:00.000Z"]);
  });

  it("re-arms when a fire is refused (runFinished without runStarted)", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 15 * MIN } });
    scheduler.start();
    clock.advance(0);
    scheduler.runFinished("a", "poll", clock.now());
    expect(scheduler.snapshot()[0]?.running).toBe(false);
    clock.advance(15 * MIN);
    expect(firedAt(fires)).toEqual([START, "2025-01-06T08:15:00.000Z"]);
  });

  it("counts from the end of a run started by hand", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 15 * MIN, start_delay: 10 * MIN } });
    scheduler.start();
    clock.advance(MIN);
    scheduler.runStarted("a", "poll");
    clock.advance(2 * MIN);
    scheduler.runFinished("a", "poll", clock.now());
    clock.advanceTo("2025-01-06T08:30:00Z");
    expect(firedAt(fires)).toEqual(["2025-01-06T08:18:00.000Z"]);
  });
});

describe("Scheduler: cron", () => {
  it('fires "0 9 * * 1-5" in America/New_York at 14:00Z before and 13:00Z after the DST change', () => {
    const { clock, scheduler, fires } = harness("2025-03-07T12:00:00Z", { instantRuns: true });
    scheduler.setSchedules("a", {
      morning: { type: "cron", cron: "0 9 * * 1-5", timezone: "America/New_York" },
    });
    scheduler.start();
    clock.advanceTo("2025-03-11T23:00:00Z");
    expect(firedAt(fires)).toEqual([
      "2025-03-07T14:00:00.000Z",
      "2025-03-10T13:00:00.000Z",
      "2025-03-11T13:00:00.000Z",
    ]);
    expect(fires.every((f) => f.reason === "due" && f.scheduledAt.toISOString() === f.firedAt)).toBe(true);
  });

  it("Europe/Berlin spring forward and fall back: a 02:30 job fires exactly once each day", () => {
    const spring = harness("2025-03-29T00:00:00Z", { instantRuns: true });
    spring.scheduler.setSchedules("a", {
      night: { type: "cron", cron: "30 2 * * *", timezone: "Europe/Berlin" },
    });
    spring.scheduler.start();
    spring.clock.advanceTo("2025-04-01T00:00:00Z");
    expect(firedAt(spring.fires)).toEqual([
      "2025-03-29T01:30:00.000Z",
      "2025-03-30T01:00:00.000Z",
      "2025-03-31T00:30:00.000Z",
    ]);

    const fall = harness("2025-10-25T00:00:00Z", { instantRuns: true });
    fall.scheduler.setSchedules("a", {
      night: { type: "cron", cron: "30 2 * * *", timezone: "Europe/Berlin" },
    });
    fall.scheduler.start();
    fall.clock.advanceTo("2025-10-28T00:00:00Z");
    expect(firedAt(fall.fires)).toEqual([
      "2025-10-25T00:30:00.000Z",
      "2025-10-26T00:30:00.000Z",
      "2025-10-27T01:30:00.000Z",
    ]);
  });

  it("@daily fires at midnight of its time zone", () => {
    const { clock, scheduler, fires } = harness(START, { instantRuns: true });
    scheduler.setSchedules("a", { nightly: { type: "cron", cron: "@daily", timezone: "UTC" } });
    scheduler.start();
    clock.advance(3 * DAY);
    expect(firedAt(fires)).toEqual([
      "2025-01-07T00:00:00.000Z",
      "2025-01-08T00:00:00.000Z",
      "2025-01-09T00:00:00.000Z",
    ]);
  });

  it("reaches a fire beyond setTimeout's 24.8-day limit by waking and re-arming", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { yearly: { type: "cron", cron: "@yearly", timezone: "UTC" } });
    scheduler.start();
    clock.advanceTo("2025-12-31T23:59:59Z");
    expect(fires).toEqual([]);
    expect(clock.pendingTimers).toBe(1);
    clock.advanceTo("2026-01-01T00:00:00Z");
    expect(firedAt(fires)).toEqual(["2026-01-01T00:00:00.000Z"]);
  });
});

describe("Scheduler: webhook, enabled, jitter", () => {
  it("never fires a webhook schedule from the clock", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { hook: { type: "webhook" } });
    scheduler.start();
    clock.advance(DAY);
    expect(fires).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    expect(scheduler.snapshot()[0]).toEqual({
      agent: "a",
      schedule: "hook",
      type: "webhook",
      enabled: true,
      running: false,
      pending: false,
    });
  });

  it("never fires enabled: false, nor a persisted enabled_override false", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { off: { type: "interval", interval: MIN, enabled: false } });
    scheduler.setSchedules(
      "b",
      { poll: { type: "interval", interval: MIN } },
      new Map([["poll", { enabledOverride: false }]]),
    );
    scheduler.start();
    clock.advance(DAY);
    expect(fires).toEqual([]);
    expect(scheduler.snapshot().map((s) => [s.agent, s.enabled, s.nextRunAt])).toEqual([
      ["a", false, undefined],
      ["b", false, undefined],
    ]);
  });

  it("setEnabled turns a schedule off and on, and overrides enabled: false", () => {
    const { clock, scheduler, fires } = harness("2025-01-06T08:10:00Z", { instantRuns: true });
    scheduler.setSchedules("a", { hourly: { type: "cron", cron: "0 * * * *", timezone: "UTC" } });
    scheduler.setSchedules("b", {
      off: { type: "cron", cron: "30 * * * *", timezone: "UTC", enabled: false },
    });
    scheduler.start();
    clock.advanceTo("2025-01-06T09:00:00Z");
    scheduler.setEnabled("a", "hourly", false);
    clock.advanceTo("2025-01-06T11:59:00Z");
    scheduler.setEnabled("a", "hourly", true);
    scheduler.setEnabled("b", "off", true);
    clock.advanceTo("2025-01-06T12:45:00Z");
    expect(fires.map((f) => `${f.schedule} ${f.firedAt}`)).toEqual([
      "hourly 2025-01-06T09:00:00.000Z",
      "hourly 2025-01-06T12:00:00.000Z",
      "off 2025-01-06T12:30:00.000Z",
    ]);
  });

  it("setEnabled on an unknown schedule names the ones that exist", () => {
    const { scheduler } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: MIN }, hook: { type: "webhook" } });
    const error = (() => {
      try {
        scheduler.setEnabled("a", "pol", false);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ScheduleNotFoundError);
    expect(error).toMatchObject({ code: "SCHEDULER_SCHEDULE_NOT_FOUND" });
    expect((error as Error).message).toBe('Schedule "pol" of agent "a" not found; available: poll, hook.');
    expect(() => scheduler.setEnabled("zed", "poll", true)).toThrow(
      'Schedule "poll" of agent "zed" not found; agent "zed" has no schedules.',
    );
  });

  it("delays each fire by random × jitter, within [0, jitter], keeping the nominal scheduledAt", () => {
    for (const [random, expected] of [
      [0, "2025-01-06T09:00:00.000Z"],
      [0.5, "2025-01-06T09:05:00.000Z"],
      [0.999, "2025-01-06T09:09:59.400Z"],
    ] as const) {
      const { clock, scheduler, fires } = harness(START, { random: () => random });
      scheduler.setSchedules("a", {
        nine: { type: "cron", cron: "0 9 * * *", timezone: "UTC", jitter: 10 * MIN },
      });
      scheduler.start();
      clock.advanceTo("2025-01-06T09:10:00Z");
      expect(fires.map((f) => [f.firedAt, f.scheduledAt.toISOString()])).toEqual([
        [expected, "2025-01-06T09:00:00.000Z"],
      ]);
    }
  });

  it("rejects an invalid schedule with a clear message and changes nothing", () => {
    const { scheduler } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: MIN } });
    const attempt = () =>
      scheduler.setSchedules("a", {
        poll: { type: "interval", interval: MIN },
        bad: { type: "cron", cron: "0 9 * *", timezone: "UTC" },
      });
    expect(attempt).toThrow(InvalidScheduleError);
    expect(attempt).toThrow(
      /^Schedule "bad" of agent "a" cannot be scheduled: cron expression "0 9 \* \*" in time zone "UTC" is invalid \(.+five, six, or seven.+\)\. Fix the schedule in the agent's configuration and reload\.$/,
    );
    expect(() => scheduler.setSchedules("a", { poll: { type: "interval", interval: 0 } })).toThrow(
      'Schedule "poll" of agent "a" cannot be scheduled: interval must be a positive number of milliseconds, got 0. ' +
        "Fix the schedule in the agent's configuration and reload.",
    );
    expect(() =>
      scheduler.setSchedules("a", { tz: { type: "cron", cron: "0 9 * * *", timezone: "Mars/Olympus" } }),
    ).toThrow(/cron expression "0 9 \* \* \*" in time zone "Mars\/Olympus" is invalid/);
    expect(scheduler.snapshot().map((s) => s.schedule)).toEqual(["poll"]);
  });

  it("passes a throwing callback's error to onError and keeps scheduling, as if the fire were refused", () => {
    const { clock } = harness(START);
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = new Scheduler({
      clock,
      onFire: () => {
        calls++;
        throw new Error("boom");
      },
      onSkip: () => {},
      onError: (error: unknown) => errors.push(error),
    });
    scheduler.setSchedules("a", { tick: { type: "cron", cron: "* * * * *", timezone: "UTC" } });
    scheduler.start();
    clock.advance(3 * MIN);
    // 08:00 (an occurrence exactly at start is due), 08:01, 08:02, 08:03: no fire is lost to "overlap".
    expect(calls).toBe(4);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom", "boom", "boom", "boom"]);
  });
});
