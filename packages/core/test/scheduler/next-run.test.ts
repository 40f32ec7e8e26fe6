import { describe, expect, it } from "vitest";
import { jitterMs, missedFire, nextRunAt } from "../../src/scheduler/next-run.js";
import type { ScheduleConfig } from "../../src/scheduler/types.js";
import { HOUR, MIN } from "./helpers.js";

const d = (iso: string) => new Date(iso);
const T0 = d("2025-01-06T08:00:00.000Z");
const plus = (base: Date, ms: number) => new Date(base.getTime() + ms);
const every15m: ScheduleConfig = { type: "interval", interval: 15 * MIN };

/** Chains nextRunAt the way the scheduler does for cron: each answer becomes the last fired occurrence. */
function cronFires(schedule: ScheduleConfig, from: string, count: number): string[] {
  const out: string[] = [];
  let now = d(from);
  let last: Date | undefined;
  for (let i = 0; i < count; i++) {
    const next = nextRunAt(schedule, { now, startedAt: d(from), lastRunStartedAt: last });
    if (next === undefined) break;
    out.push(next.toISOString());
    last = next;
    now = next;
  }
  return out;
}

describe("nextRunAt: interval", () => {
  it("fires at start when it has never run", () => {
    expect(nextRunAt(every15m, { now: T0, startedAt: T0 })).toEqual(T0);
  });

  it("waits start_delay after start for the first run", () => {
    const delayed = { ...every15m, start_delay: 2 * MIN };
    expect(nextRunAt(delayed, { now: T0, startedAt: T0 })).toEqual(plus(T0, 2 * MIN));
  });

  it("counts from the end of the previous run: a 10 min run on 15m fires again 15m after it ended", () => {
    const next = nextRunAt(every15m, {
      lastRunStartedAt: T0,
      lastRunFinishedAt: plus(T0, 10 * MIN),
      now: plus(T0, 10 * MIN),
      startedAt: T0,
    });
    expect(next).toEqual(plus(T0, 25 * MIN));
  });

  it("after a restart, keeps a plan that is still ahead", () => {
    const next = nextRunAt(every15m, {
      lastRunStartedAt: plus(T0, -5 * MIN),
      plannedAt: plus(T0, 12 * MIN),
      now: T0,
      startedAt: T0,
    });
    expect(next).toEqual(plus(T0, 12 * MIN));
  });

  it("does not let a plan made for a longer interval hold a shorter one back", () => {
    const next = nextRunAt(every15m, { plannedAt: plus(T0, 2 * HOUR), now: T0, startedAt: T0 });
    expect(next).toEqual(plus(T0, 15 * MIN));
  });

  it("after downtime, moves on to the first slot at or after now (the missed one is missedFire's)", () => {
    const next = nextRunAt(every15m, { lastRunStartedAt: plus(T0, -62 * MIN), now: T0, startedAt: T0 });
    // slots from the last run: -47, -32, -17, -2, +13
    expect(next).toEqual(plus(T0, 13 * MIN));
  });

  it("respects start_delay even when a restart plan is due sooner", () => {
    const delayed = { ...every15m, start_delay: 5 * MIN };
    const next = nextRunAt(delayed, { plannedAt: plus(T0, 1 * MIN), now: T0, startedAt: T0 });
    expect(next).toEqual(plus(T0, 5 * MIN));
  });
});

describe("nextRunAt: cron", () => {
  it("weekdays at 09:00 in America/New_York, across the US spring-forward weekend", () => {
    const schedule: ScheduleConfig = { type: "cron", cron: "0 9 * * 1-5", timezone: "America/New_York" };
    // EST is UTC-5 until Sunday 2025-03-09, EDT (UTC-4) after.
    expect(cronFires(schedule, "2025-03-06T15:00:00Z", 4)).toEqual([
      "2025-03-07T14:00:00.000Z",
      "2025-03-10T13:00:00.000Z",
      "2025-03-11T13:00:00.000Z",
      "2025-03-12T13:00:00.000Z",
    ]);
  });

  it("Europe/Berlin spring forward: a 02:30 job fires once, at 03:00 CEST, on the day 02:30 does not exist", () => {
    const schedule: ScheduleConfig = { type: "cron", cron: "30 2 * * *", timezone: "Europe/Berlin" };
    expect(cronFires(schedule, "2025-03-28T12:00:00Z", 4)).toEqual([
      "2025-03-29T01:30:00.000Z", // 02:30 CET
      "2025-03-30T01:00:00.000Z", // 03:00 CEST: the first valid time after the gap
      "2025-03-31T00:30:00.000Z", // 02:30 CEST
      "2025-04-01T00:30:00.000Z",
    ]);
  });

  it("Europe/Berlin fall back: a 02:30 job fires once, at the first of the two 02:30s", () => {
    const schedule: ScheduleConfig = { type: "cron", cron: "30 2 * * *", timezone: "Europe/Berlin" };
    expect(cronFires(schedule, "2025-10-24T12:00:00Z", 4)).toEqual([
      "2025-10-25T00:30:00.000Z", // 02:30 CEST
      "2025-10-26T00:30:00.000Z", // 02:30 CEST; the 02:30 CET an hour later does not fire
      "2025-10-27T01:30:00.000Z", // 02:30 CET
      "2025-10-28T01:30:00.000Z",
    ]);
  });

  it("Europe/Berlin: a stepped job keeps its real-time rhythm through both transitions", () => {
    const schedule: ScheduleConfig = { type: "cron", cron: "*/30 * * * *", timezone: "Europe/Berlin" };
    // Spring: 01:30 CET is followed by 03:00 CEST, half an hour later in real time.
    expect(cronFires(schedule, "2025-03-30T00:15:00Z", 3)).toEqual([
      "2025-03-30T00:30:00.000Z",
      "2025-03-30T01:00:00.000Z",
      "2025-03-30T01:30:00.000Z",
    ]);
    // Fall: 02:00 and 02:30 happen twice and fire both times.
    expect(cronFires(schedule, "2025-10-25T23:45:00Z", 4)).toEqual([
      "2025-10-26T00:00:00.000Z", // 02:00 CEST
      "2025-10-26T00:30:00.000Z", // 02:30 CEST
      "2025-10-26T01:00:00.000Z", // 02:00 CET
      "2025-10-26T01:30:00.000Z", // 02:30 CET
    ]);
  });

  it("@daily and @hourly", () => {
    expect(cronFires({ type: "cron", cron: "@daily", timezone: "UTC" }, "2025-01-06T08:00:00Z", 2)).toEqual([
      "2025-01-07T00:00:00.000Z",
      "2025-01-08T00:00:00.000Z",
    ]);
    expect(cronFires({ type: "cron", cron: "@hourly", timezone: "UTC" }, "2025-01-06T08:20:00Z", 2)).toEqual([
      "2025-01-06T09:00:00.000Z",
      "2025-01-06T10:00:00.000Z",
    ]);
    expect(
      cronFires({ type: "cron", cron: "@daily", timezone: "Asia/Tokyo" }, "2025-01-06T08:00:00Z", 1),
    ).toEqual(["2025-01-06T15:00:00.000Z"]);
  });

  it("an occurrence exactly at now is due, but never twice", () => {
    const schedule: ScheduleConfig = { type: "cron", cron: "0 9 * * *", timezone: "UTC" };
    const nine = d("2025-01-06T09:00:00Z");
    expect(nextRunAt(schedule, { now: nine, startedAt: nine })).toEqual(nine);
    expect(nextRunAt(schedule, { now: nine, startedAt: nine, lastRunStartedAt: nine })).toEqual(
      d("2025-01-07T09:00:00Z"),
    );
  });

  it("start_delay holds back the first occurrence", () => {
    const schedule: ScheduleConfig = {
      type: "cron",
      cron: "*/5 * * * *",
      timezone: "UTC",
      start_delay: 7 * MIN,
    };
    expect(nextRunAt(schedule, { now: T0, startedAt: T0 })).toEqual(d("2025-01-06T08:10:00Z"));
  });
});

describe("nextRunAt: webhook", () => {
  it("never fires from the clock", () => {
    expect(nextRunAt({ type: "webhook" }, { now: T0, startedAt: T0 })).toBeUndefined();
  });
});

describe("missedFire", () => {
  const hourly: ScheduleConfig = { type: "cron", cron: "0 * * * *", timezone: "UTC" };

  it("catches up the latest missed cron fire within the default 1 h window", () => {
    const result = missedFire(hourly, {
      plannedAt: d("2025-01-06T05:00:00Z"),
      now: d("2025-01-06T08:20:00Z"),
    });
    expect(result).toEqual({ catchUp: true, missedAt: d("2025-01-06T08:00:00Z") });
  });

  it("reports but does not catch up a fire older than the window", () => {
    const daily: ScheduleConfig = { type: "cron", cron: "0 6 * * *", timezone: "UTC" };
    const result = missedFire(daily, {
      plannedAt: d("2025-01-06T06:00:00Z"),
      now: d("2025-01-06T08:00:00Z"),
    });
    expect(result).toEqual({ catchUp: false, missedAt: d("2025-01-06T06:00:00Z") });
    expect(
      missedFire(
        { ...daily, catch_up_window: 3 * HOUR },
        {
          plannedAt: d("2025-01-06T06:00:00Z"),
          now: d("2025-01-06T08:00:00Z"),
        },
      ),
    ).toEqual({ catchUp: true, missedAt: d("2025-01-06T06:00:00Z") });
  });

  it("catch_up none reports the miss and never catches up", () => {
    const result = missedFire(
      { ...hourly, catch_up: "none" },
      { plannedAt: d("2025-01-06T08:00:00Z"), now: d("2025-01-06T08:01:00Z") },
    );
    expect(result).toEqual({ catchUp: false, missedAt: d("2025-01-06T08:00:00Z") });
  });

  it("finds nothing missed without history, with a plan still ahead, or after a run past the occurrence", () => {
    const now = d("2025-01-06T08:20:00Z");
    expect(missedFire(hourly, { now })).toEqual({ catchUp: false });
    expect(missedFire(hourly, { plannedAt: d("2025-01-06T09:00:00Z"), now })).toEqual({ catchUp: false });
    expect(missedFire(hourly, { lastRunAt: d("2025-01-06T08:00:00.040Z"), now })).toEqual({ catchUp: false });
    expect(missedFire({ type: "webhook" }, { plannedAt: d("2025-01-06T05:00:00Z"), now })).toEqual({
      catchUp: false,
    });
  });

  it("uses the last run when no plan was saved", () => {
    const result = missedFire(hourly, {
      lastRunAt: d("2025-01-06T06:00:02Z"),
      now: d("2025-01-06T08:20:00Z"),
    });
    expect(result).toEqual({ catchUp: true, missedAt: d("2025-01-06T08:00:00Z") });
  });

  it("interval: the latest slot before now, counted from the plan or the last run", () => {
    expect(missedFire(every15m, { lastRunAt: plus(T0, -62 * MIN), now: T0 })).toEqual({
      catchUp: true,
      missedAt: plus(T0, -2 * MIN),
    });
    expect(missedFire(every15m, { plannedAt: plus(T0, -15 * MIN), now: T0 })).toEqual({
      catchUp: true,
      missedAt: plus(T0, -15 * MIN),
    });
    expect(missedFire(every15m, { plannedAt: T0, now: T0 })).toEqual({ catchUp: false });
    const daily: ScheduleConfig = { type: "interval", interval: 24 * HOUR };
    expect(missedFire(daily, { lastRunAt: plus(T0, -30 * HOUR), now: T0 })).toEqual({
      catchUp: false,
      missedAt: plus(T0, -6 * HOUR),
    });
  });
});

describe("jitterMs", () => {
  const jittered: ScheduleConfig = { type: "interval", interval: HOUR, jitter: 10 * MIN };

  it("spreads over [0, jitter] by the random source", () => {
    expect(jitterMs(jittered, () => 0)).toBe(0);
    expect(jitterMs(jittered, () => 0.5)).toBe(300_000);
    expect(jitterMs(jittered, () => 0.999)).toBe(599_400);
    expect(jitterMs(jittered, () => 0.999_999_999_9)).toBe(600_000);
  });

  it("is zero without jitter", () => {
    expect(jitterMs({ type: "interval", interval: HOUR }, () => 0.9)).toBe(0);
  });
});
