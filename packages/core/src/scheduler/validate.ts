import { cronFor } from "./next-run.js";
import type { ScheduleConfig } from "./types.js";

const TYPES = new Set(["interval", "cron", "webhook"]);

function isMs(value: unknown, { positive }: { positive: boolean }): boolean {
  return typeof value === "number" && Number.isFinite(value) && (positive ? value > 0 : value >= 0);
}

/**
 * Why the scheduler cannot plan this schedule, or undefined if it can. The config loader rejects
 * all of these first; this guards schedules built in code.
 */
export function scheduleProblem(schedule: ScheduleConfig): string | undefined {
  if (!TYPES.has(schedule.type)) {
    return `type must be interval, cron or webhook, got ${JSON.stringify(schedule.type)}`;
  }
  if (schedule.type === "interval" && !isMs(schedule.interval, { positive: true })) {
    return `interval must be a positive number of milliseconds, got ${String(schedule.interval)}`;
  }
  for (const field of ["start_delay", "jitter"] as const) {
    const value = schedule[field];
    if (value !== undefined && !isMs(value, { positive: false })) {
      return `${field} must be zero or more milliseconds, got ${String(value)}`;
    }
  }
  if (schedule.catch_up_window !== undefined && !isMs(schedule.catch_up_window, { positive: true })) {
    return `catch_up_window must be a positive number of milliseconds, got ${String(schedule.catch_up_window)}`;
  }
  if (schedule.type === "cron") {
    if (typeof schedule.cron !== "string") return "a cron schedule needs a cron expression";
    try {
      // A bad time zone only shows when a date is computed.
      cronFor(schedule).nextRun(new Date(0));
    } catch (error) {
      const zone =
        schedule.timezone === undefined ? "" : ` in time zone ${JSON.stringify(schedule.timezone)}`;
      return `cron expression ${JSON.stringify(schedule.cron)}${zone} is invalid (${(error as Error).message})`;
    }
  }
  return undefined;
}
