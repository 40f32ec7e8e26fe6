import { Cron } from "croner";

export type BudgetPeriod = "daily" | "monthly";

/** A calendar window in a time zone: [start, resetsAt). */
export interface BudgetWindow {
  readonly period: BudgetPeriod;
  readonly start: Date;
  readonly resetsAt: Date;
}

const PATTERNS: Record<BudgetPeriod, string> = { daily: "0 0 * * *", monthly: "0 0 1 * *" };

/**
 * The calendar day or month that holds `now`, in `timezone` (the host's zone when unset). Local
 * midnights come from croner, which knows each zone's offsets and daylight-saving changes.
 */
export function budgetWindow(period: BudgetPeriod, now: Date, timezone?: string): BudgetWindow {
  const cron = new Cron(PATTERNS[period], { timezone, paused: true });
  // previousRuns looks strictly before its reference: a window starting exactly now is this one.
  const justAfter = new Date(now.getTime() + 1);
  const start = cron.previousRuns(1, justAfter)[0];
  const resetsAt = cron.nextRun(now);
  if (!start || !resetsAt)
    throw new RangeError(`no ${period} window around ${now.toISOString()} in ${timezone}`);
  return { period, start, resetsAt };
}
