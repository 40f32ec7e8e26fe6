import { Cron } from "croner";
import type { ScheduleConfig } from "./types.js";

// Pure schedule maths: no timers, no state. The scheduler feeds in what it knows and arms one timer
// for the answer; tests feed in plain dates.

export const DEFAULT_CATCH_UP_WINDOW_MS = 3_600_000;

export interface NextRunInput {
  /** Interval: start of the last run. Cron: the occurrence last fired, so it never fires twice. */
  readonly lastRunStartedAt?: Date;
  /** End of the last run seen by this process; an interval counts from here. */
  readonly lastRunFinishedAt?: Date;
  /** The next fire planned before (a restart, a reload), if any. */
  readonly plannedAt?: Date;
  readonly now: Date;
  /** When this schedule began being watched: the scheduler's start, or when a reload added it. */
  readonly startedAt: Date;
}

export interface MissedFireInput {
  /** When the last run started. */
  readonly lastRunAt?: Date;
  /** The fire that was planned when the previous process stopped. */
  readonly plannedAt?: Date;
  readonly now: Date;
}

export interface MissedFire {
  /** Fire one run now for the missed time. */
  readonly catchUp: boolean;
  /** The latest fire that fell due while nobody was watching; absent when none did. */
  readonly missedAt?: Date;
}

const compiled = new WeakMap<ScheduleConfig, Cron>();

/** The croner instance for a cron schedule, built once per config object. Throws on a bad pattern. */
export function cronFor(schedule: ScheduleConfig): Cron {
  let cron = compiled.get(schedule);
  if (cron === undefined) {
    // No callback is passed, so croner computes dates only and never starts a timer of its own.
    cron = new Cron(
      schedule.cron ?? "",
      schedule.timezone === undefined ? {} : { timezone: schedule.timezone },
    );
    compiled.set(schedule, cron);
  }
  return cron;
}

/**
 * The next time the schedule fires automatically, or undefined if it never does (webhook, or a
 * cron pattern with no future occurrence). A result at or before `now` means "fire now". `enabled`
 * is not consulted: whether to fire is the caller's decision.
 *
 * Interval: from the end of the last run; before any run, at `startedAt` (+ `start_delay`).
 * Slots that fell due before `now` without a known end (downtime) are `missedFire`'s business, so
 * the answer moves on to the first slot at or after `now`.
 *
 * Cron: the first occurrence at or after `now` that is later than the occurrence last fired and not
 * before `startedAt + start_delay`. Croner resolves DST: a fixed time (`30 2 * * *`) that does not
 * exist on a spring-forward day fires at the first valid time after the gap (03:00), and one that
 * occurs twice on a fall-back day fires once, at the first occurrence; patterns with wildcards,
 * steps, ranges or lists in the time fields skip non-existent times and fire on both repeated
 * ones, so the job keeps its real-time rhythm.
 */
export function nextRunAt(schedule: ScheduleConfig, input: NextRunInput): Date | undefined {
  switch (schedule.type) {
    case "webhook":
      return undefined;
    case "interval":
      return new Date(nextIntervalMs(schedule, input));
    case "cron":
      return nextCron(schedule, input);
  }
}

function nextIntervalMs(schedule: ScheduleConfig, input: NextRunInput): number {
  const every = schedule.interval!;
  const now = input.now.getTime();
  const earliest = input.startedAt.getTime() + (schedule.start_delay ?? 0);
  if (input.lastRunFinishedAt !== undefined) return input.lastRunFinishedAt.getTime() + every;
  let due: number | undefined;
  // A plan from a longer interval than the current one must not hold the schedule back.
  if (input.plannedAt !== undefined) due = Math.min(input.plannedAt.getTime(), now + every);
  else if (input.lastRunStartedAt !== undefined) due = input.lastRunStartedAt.getTime() + every;
  if (due === undefined) return earliest;
  if (due < now) due += Math.ceil((now - due) / every) * every;
  return Math.max(due, earliest);
}

function nextCron(schedule: ScheduleConfig, input: NextRunInput): Date | undefined {
  // croner's nextRun is strictly after its argument; one millisecond back lets an occurrence at
  // exactly `now` count as due.
  let after = input.now.getTime() - 1;
  if (input.lastRunStartedAt !== undefined) after = Math.max(after, input.lastRunStartedAt.getTime());
  if (schedule.start_delay) after = Math.max(after, input.startedAt.getTime() + schedule.start_delay - 1);
  return cronFor(schedule).nextRun(new Date(after)) ?? undefined;
}

/**
 * Whether a fire fell due while the scheduler was down (strictly before `now`), and whether to run
 * it now. Only the latest missed fire counts: `catch_up: latest` (the default) runs it once if it is
 * no older than `catch_up_window` (default 1 h); `catch_up: none` never does. With neither a last
 * run nor a plan there is nothing to have missed.
 */
export function missedFire(schedule: ScheduleConfig, input: MissedFireInput): MissedFire {
  const missed = latestMissedMs(schedule, input);
  if (missed === undefined) return { catchUp: false };
  const window = schedule.catch_up_window ?? DEFAULT_CATCH_UP_WINDOW_MS;
  const catchUp = (schedule.catch_up ?? "latest") === "latest" && input.now.getTime() - missed <= window;
  return { catchUp, missedAt: new Date(missed) };
}

function latestMissedMs(schedule: ScheduleConfig, input: MissedFireInput): number | undefined {
  const now = input.now.getTime();
  const planned = input.plannedAt?.getTime();
  const lastRun = input.lastRunAt?.getTime();
  if (schedule.type === "interval") {
    const every = schedule.interval!;
    const first = planned ?? (lastRun === undefined ? undefined : lastRun + every);
    if (first === undefined || first >= now) return undefined;
    return first + (Math.ceil((now - first) / every) - 1) * every;
  }
  if (schedule.type === "cron") {
    if (planned === undefined && lastRun === undefined) return undefined;
    const previous = cronFor(schedule).previousRuns(1, input.now)[0]?.getTime();
    if (previous === undefined) return undefined;
    if (planned !== undefined && previous < planned) return undefined;
    if (lastRun !== undefined && previous <= lastRun) return undefined;
    return previous;
  }
  return undefined;
}

/** A uniform delay in [0, jitter] whole milliseconds; `random` returns values in [0, 1). */
export function jitterMs(schedule: ScheduleConfig, random: () => number): number {
  const jitter = schedule.jitter ?? 0;
  if (jitter <= 0) return 0;
  return Math.min(jitter, Math.floor(random() * (jitter + 1)));
}
