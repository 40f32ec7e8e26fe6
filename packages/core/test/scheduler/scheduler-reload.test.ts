import { describe, expect, it } from "vitest";
import type { ScheduleConfig } from "../../src/scheduler/types.js";
import { firedAt, HOUR, harness, MIN } from "./helpers.js";

const START = "2025-01-06T08:00:00.000Z";

describe("Scheduler: hot reload", () => {
  it("updates one agent's schedules without disturbing another agent's timers", () => {
    const { clock, scheduler, fires } = harness(START, { instantRuns: true });
    scheduler.setSchedules("a", {
      keep: { type: "interval", interval: 10 * MIN, start_delay: 7 * MIN },
      change: { type: "interval", interval: 30 * MIN, start_delay: 20 * MIN },
      gone: { type: "cron", cron: "*/5 * * * *", timezone: "UTC", start_delay: MIN },
    });
    scheduler.setSchedules("b", { poll: { type: "interval", interval: 13 * MIN, start_delay: 3 * MIN } });
    scheduler.start();
    clock.advanceTo("2025-01-06T08:04:00Z");
    const before = new Map(
      scheduler.snapshot().map((s) => [`${s.agent}/${s.schedule}`, s.nextRunAt?.toISOString()]),
    );
    expect(before.get("b/poll")).toBe("2025-01-06T08:16:00.000Z");

    const keepSameTiming: ScheduleConfig = { type: "interval", interval: 10 * MIN, start_delay: 7 * MIN };
    scheduler.setSchedules("a", {
      keep: keepSameTiming,
      change: { type: "interval", interval: 5 * MIN },
      added: { type: "cron", cron: "0 * * * *", timezone: "UTC" },
    });
    expect(clock.pendingTimers).toBe(1);
    const after = new Map(
      scheduler.snapshot().map((s) => [`${s.agent}/${s.schedule}`, s.nextRunAt?.toISOString()]),
    );
    expect(after.get("b/poll")).toBe(before.get("b/poll"));
    expect(after.get("a/keep")).toBe(before.get("a/keep"));
    expect(after.has("a/gone")).toBe(false);
    expect(after.get("a/added")).toBe("2025-01-06T09:00:00.000Z");
    // "change" had planned 08:20 under a 30m interval; 5m from now is sooner.
    expect(after.get("a/change")).toBe("2025-01-06T08:09:00.000Z");

    clock.advanceTo("2025-01-06T08:20:00Z");
    expect(fires.map((f) => `${f.agent}/${f.schedule} ${f.firedAt.slice(11, 16)}`)).toEqual([
      "b/poll 08:03",
      "a/keep 08:07",
      "a/change 08:09",
      "a/change 08:14",
      "b/poll 08:16",
      "a/keep 08:17",
      "a/change 08:19",
    ]);
  });

  it("plans an agent added after start at once, catching up from its saved state", () => {
    const { clock, scheduler, fires } = harness(START, { instantRuns: true });
    scheduler.start();
    clock.advance(30 * MIN);
    scheduler.setSchedules("fresh", { poll: { type: "interval", interval: HOUR } });
    scheduler.setSchedules(
      "known",
      { nine: { type: "cron", cron: "15 8 * * *", timezone: "UTC" } },
      new Map([
        [
          "nine",
          { lastRunAt: new Date("2025-01-05T08:15:01Z"), nextRunAt: new Date("2025-01-06T08:15:00Z") },
        ],
      ]),
    );
    expect(
      scheduler
        .snapshot()
        .find((s) => s.agent === "known")
        ?.lastRunAt?.toISOString(),
    ).toBe("2025-01-05T08:15:01.000Z");
    clock.advance(0);
    expect(fires.map((f) => `${f.agent} ${f.reason} ${f.scheduledAt.toISOString()} ${f.firedAt}`)).toEqual([
      "fresh due 2025-01-06T08:30:00.000Z 2025-01-06T08:30:00.000Z",
      "known catch_up 2025-01-06T08:15:00.000Z 2025-01-06T08:30:00.000Z",
    ]);
  });

  it("keeps the running state of a schedule whose timing changed", () => {
    const { clock, scheduler, fires } = harness(START);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 15 * MIN } });
    scheduler.start();
    clock.advance(0);
    scheduler.runStarted("a", "poll");
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 5 * MIN } });
    expect(scheduler.snapshot()[0]).toMatchObject({ running: true });
    clock.advance(HOUR);
    expect(fires).toHaveLength(1);
    scheduler.runFinished("a", "poll", clock.now());
    clock.advance(5 * MIN);
    expect(firedAt(fires)).toEqual([START, "2025-01-06T09:05:00.000Z"]);
  });

  it("disables a schedule through a reload and drops a removed agent", () => {
    const { clock, scheduler, fires } = harness(START, { instantRuns: true });
    scheduler.setSchedules("a", { poll: { type: "interval", interval: MIN, start_delay: MIN } });
    scheduler.setSchedules("b", { poll: { type: "interval", interval: MIN, start_delay: MIN } });
    scheduler.start();
    scheduler.setSchedules("a", {
      poll: { type: "interval", interval: MIN, start_delay: MIN, enabled: false },
    });
    scheduler.removeAgent("b");
    expect(clock.pendingTimers).toBe(0);
    clock.advance(HOUR);
    expect(fires).toEqual([]);
    expect(scheduler.snapshot().map((s) => [s.agent, s.enabled])).toEqual([["a", false]]);
    scheduler.runFinished("b", "poll", clock.now()); // a late report for a removed agent is ignored
  });
});

describe("Scheduler: scale and shutdown", () => {
  it("runs 500 agents from ONE timer", () => {
    const { clock, scheduler, fires } = harness(START, { instantRuns: true });
    for (let i = 0; i < 500; i++) {
      scheduler.setSchedules(`agent-${i}`, {
        poll: { type: "interval", interval: (1 + (i % 5)) * MIN },
        nightly: { type: "cron", cron: `${i % 60} 2 * * *`, timezone: "Europe/Berlin" },
        hook: { type: "webhook" },
      });
    }
    scheduler.start();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10 * MIN);
    expect(clock.pendingTimers).toBe(1);
    // Each agent fires at 0 and every (1..5) min after: 11, 6, 4, 3 or 3 times in 10 minutes.
    const perAgent = new Map<string, number>();
    for (const f of fires) perAgent.set(f.agent, (perAgent.get(f.agent) ?? 0) + 1);
    expect(perAgent.size).toBe(500);
    expect(perAgent.get("agent-0")).toBe(11);
    expect(perAgent.get("agent-4")).toBe(3);
    expect(fires).toHaveLength(100 * (11 + 6 + 4 + 3 + 3));
    expect(scheduler.snapshot()).toHaveLength(1500);
  });

  it("stop leaves no timer, is idempotent, and nothing fires while stopped", () => {
    const { clock, scheduler, fires } = harness(START, { instantRuns: true });
    scheduler.setSchedules("a", {
      poll: { type: "interval", interval: MIN, start_delay: MIN },
      tick: { type: "cron", cron: "* * * * *", timezone: "UTC", start_delay: MIN },
    });
    scheduler.start();
    scheduler.start();
    expect(clock.pendingTimers).toBe(1);
    scheduler.stop();
    scheduler.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(HOUR);
    scheduler.setSchedules("a", { poll: { type: "interval", interval: 2 * MIN } });
    scheduler.setEnabled("a", "poll", true);
    expect(clock.pendingTimers).toBe(0);
    expect(fires).toEqual([]);
  });
});
