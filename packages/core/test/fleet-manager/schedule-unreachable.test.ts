import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ResolvedAgent } from "../../src/config/index.js";
import { FleetEventBus } from "../../src/fleet-manager/events.js";
import type { JobControl } from "../../src/fleet-manager/job-control.js";
import { ScheduleExecutor } from "../../src/fleet-manager/schedule-executor.js";
import type { Scheduler } from "../../src/scheduler/index.js";
import { StateUnreachableError } from "../../src/state/errors.js";
import type { JobRecord } from "../../src/state/index.js";
import { openState } from "../state/helpers.js";

// A schedule fire whose enqueue meets an unreachable PostgreSQL (the server restarting, a
// failover) is tried again with the same fire, instead of being lost until the schedule's next
// time. The database's failure is played by the job control's submit throwing the state layer's
// own STATE_UNREACHABLE error (a real outage at the exact moment of a fire cannot be timed in a
// test; postgres-restart.test.ts restarts a real server under a running schedule). The job
// records are real (SQLite).
const agent = {
  name: "ticker",
  schedules: { tick: { type: "cron", cron: "0 * * * *", prompt: "Tick." } },
} as unknown as ResolvedAgent;
const fire = {
  agent: "ticker",
  schedule: "tick",
  scheduledAt: new Date("2026-12-02T10:00:00Z"),
  reason: "due" as const,
};

function harness(failures: number) {
  const { state } = openState();
  const calls: string[] = [];
  const log: string[] = [];
  let tries = 0;
  const control = {
    submit: (request: { agent: ResolvedAgent; prompt: string }): JobRecord => {
      tries++;
      if (tries <= failures)
        throw new StateUnreachableError(
          "postgres://127.0.0.1/herd",
          "terminating connection",
          "Check the server.",
        );
      return state.jobs.create({
        agent: request.agent.name,
        triggerType: "schedule",
        prompt: request.prompt,
        runtime: "cli",
        schedule: "tick",
      });
    },
  } as unknown as JobControl;
  const scheduler = {
    runStarted: (a: string, s: string) => calls.push(`started ${a}/${s}`),
    runFinished: (a: string, s: string) => calls.push(`finished ${a}/${s}`),
  } as unknown as Scheduler;
  const events = new FleetEventBus();
  const fired: string[] = [];
  events.on("schedule:fired", (e) => fired.push(e.jobId));
  const executor = new ScheduleExecutor({
    scheduler: () => scheduler,
    control,
    state,
    events,
    agent: () => agent,
    log: (line) => log.push(line),
    now: () => new Date(),
  });
  return { executor, calls, log, fired, tries: () => tries, state };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a schedule fire that meets an unreachable database", () => {
  it("is tried again until it is enqueued, once, the schedule counted running meanwhile", async () => {
    const h = harness(3);
    h.executor.fire(fire);
    expect(h.calls).toEqual([]); // neither started nor finished: the scheduler holds the schedule
    expect(h.log.join("\n")).toContain(
      "cannot be reached to enqueue the fire planned for 2026-12-02T10:00:00.000Z",
    );
    await vi.advanceTimersByTimeAsync(500 + 1_000 + 2_000);
    expect(h.tries()).toBe(4);
    expect(h.calls).toEqual(["started ticker/tick"]);
    expect(h.fired).toHaveLength(1);
    expect(h.state.jobs.require(h.fired[0]!)).toMatchObject({ agent: "ticker", schedule: "tick" });
    expect(h.log.at(-1)).toContain("was enqueued after 4 tries");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.tries()).toBe(4);
  });

  it("a fired job that ends while the database is away still frees the schedule", async () => {
    const h = harness(0);
    h.executor.fire(fire);
    expect(h.calls).toEqual(["started ticker/tick"]);
    const job = h.state.jobs.require(h.fired[0]!);
    // Its end reaches the executor while the schedules' row cannot be written (the server away).
    vi.spyOn(h.state.schedules, "upsert").mockImplementation(() => {
      throw new StateUnreachableError(
        "postgres://127.0.0.1/herd",
        "connect ECONNREFUSED",
        "Check the server.",
      );
    });
    h.executor.jobEnded({ ...job, status: "completed" });
    // Without the scheduler hearing of it, the schedule would count as running for good and
    // every later fire would be skipped as an overlap.
    expect(h.calls).toEqual(["started ticker/tick", "finished ticker/tick"]);
    expect(h.log.at(-1)).toContain(`the result of job ${job.id} could not be recorded`);
  });

  it("gives the fire up after five minutes, and the schedule is free again", async () => {
    const h = harness(Number.POSITIVE_INFINITY);
    h.executor.fire(fire);
    await vi.advanceTimersByTimeAsync(5 * 60_000 + 10_000);
    expect(h.calls).toEqual(["finished ticker/tick"]);
    expect(h.fired).toEqual([]);
    expect(h.log.at(-1)).toContain("could not start a job");
    const tries = h.tries();
    expect(tries).toBeGreaterThan(30);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.tries()).toBe(tries);
  });
});
