import { FakeClock } from "../../src/scheduler/clock.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import type { ScheduleFire, ScheduleSkip } from "../../src/scheduler/types.js";

export interface Fired extends ScheduleFire {
  /** Fake-clock time when onFire ran, ISO. */
  readonly firedAt: string;
}

export interface Skipped extends ScheduleSkip {
  readonly skippedAt: string;
}

/**
 * A scheduler on a fake clock that records everything it reports, in order. With `instantRuns`,
 * every fired job starts and ends at once; otherwise the test reports runs itself.
 */
export function harness(start: string, options: { random?: () => number; instantRuns?: boolean } = {}) {
  const { instantRuns = false, ...schedulerOptions } = options;
  const clock = new FakeClock(start);
  const fires: Fired[] = [];
  const skips: Skipped[] = [];
  const log: string[] = [];
  const errors: unknown[] = [];
  const scheduler = new Scheduler({
    clock,
    onFire: (fire) => {
      fires.push({ ...fire, firedAt: clock.now().toISOString() });
      log.push(`fire ${fire.agent}/${fire.schedule} ${fire.reason}`);
      // A job that starts and ends at once, reported from inside the callback as a fleet manager may.
      if (instantRuns) {
        scheduler.runStarted(fire.agent, fire.schedule);
        scheduler.runFinished(fire.agent, fire.schedule, clock.now());
      }
    },
    onSkip: (skip) => {
      skips.push({ ...skip, skippedAt: clock.now().toISOString() });
      log.push(`skip ${skip.agent}/${skip.schedule} ${skip.reason}`);
    },
    onReplace: (agent, schedule) => log.push(`replace ${agent}/${schedule}`),
    onError: (error) => errors.push(error),
    ...schedulerOptions,
  });
  return { clock, scheduler, fires, skips, log, errors };
}

/** Fire times as ISO strings, optionally for one schedule. */
export function firedAt(fires: readonly Fired[], schedule?: string): string[] {
  return fires.filter((f) => schedule === undefined || f.schedule === schedule).map((f) => f.firedAt);
}

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
