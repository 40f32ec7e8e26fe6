import type { StateManager } from "../state/index.js";
import type { UsageRange, UsageSums } from "../state/usage.js";
import { daysBetween, offsetSpans } from "./local-days.js";

/** Upper edges of the duration histogram's buckets; the last bucket holds everything longer. */
export const DURATION_EDGES_MS: readonly number[] = [
  5_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
];

/** Widths the timeline may use, narrowest first; the narrowest that fits MAX_TIMELINE_BUCKETS wins. */
const TIMELINE_WIDTHS_S = [60, 300, 900, 3_600, 3 * 3_600, 6 * 3_600, 86_400, 7 * 86_400, 30 * 86_400];
const MAX_TIMELINE_BUCKETS = 120;

/** The range a report covers when none is given. */
export const DEFAULT_USAGE_DAYS = 30;
const DAY_MS = 86_400_000;

export interface UsageQuery {
  /** Jobs created at or after this; DEFAULT_USAGE_DAYS before `until` when unset. */
  readonly since?: Date;
  /** Jobs created before this; now when unset. */
  readonly until?: Date;
  readonly agent?: string;
  /** IANA zone of the calendar days (the budgets' zone); the host's zone when unset. */
  readonly timezone?: string;
  readonly now: Date;
}

export interface DayUsage extends UsageSums {
  readonly day: string;
  /** Dollars per agent that spent any that day. */
  readonly costByAgent: Readonly<Record<string, number>>;
}

export interface TimelineBucket extends UsageSums {
  readonly start: string;
}

export interface JobOutcomes {
  readonly completed: number;
  readonly failed: number;
  readonly timed_out: number;
  readonly interrupted: number;
  readonly cancelled: number;
  /** Queued or running when the report was made. */
  readonly active: number;
}

export interface AgentUsage extends UsageSums {
  readonly agent: string;
  readonly outcomes: JobOutcomes;
  /** completed / (completed + failed + timed_out + interrupted); cancelled jobs were stopped on purpose. */
  readonly successRate: number | null;
  /** Finished jobs per duration bucket (see durationEdgesMs). */
  readonly durations: readonly number[];
}

export interface UsageReport {
  readonly since: string;
  readonly until: string;
  readonly timezone: string;
  readonly agent: string | null;
  readonly totals: UsageSums;
  /** Most spent first. */
  readonly agents: readonly AgentUsage[];
  /** Every day from the first job in the range (or `since`, if later) to `until` (or now, if earlier). */
  readonly days: readonly DayUsage[];
  readonly timeline: { readonly bucketSeconds: number; readonly buckets: readonly TimelineBucket[] };
  readonly durationEdgesMs: readonly number[];
}

type Sums = { -readonly [K in keyof UsageSums]: number };
const zero = (): Sums => ({ jobs: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, cacheTokens: 0 });
function add(into: Sums, row: UsageSums): void {
  into.jobs += row.jobs;
  into.costUsd += row.costUsd;
  into.inputTokens += row.inputTokens;
  into.outputTokens += row.outputTokens;
  into.cacheTokens += row.cacheTokens;
}

/**
 * Where spend and work went: per day and agent, over time, and per agent (outcomes, durations).
 * SQLite does the grouping (state/usage.ts); what is left here joins a few thousand rows.
 */
export function usageReport(state: StateManager, query: UsageQuery): UsageReport {
  const until = query.until ?? query.now;
  const since = query.since ?? new Date(until.getTime() - DEFAULT_USAGE_DAYS * DAY_MS);
  if (since.getTime() >= until.getTime())
    throw new RangeError(
      `since (${since.toISOString()}) must be before until (${until.toISOString()}); pass an earlier since or a later until`,
    );
  const timezone = query.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const range: UsageRange = { from: since, to: until, agent: query.agent };
  const header = {
    since: since.toISOString(),
    until: until.toISOString(),
    timezone,
    agent: query.agent ?? null,
  };
  const extent = state.usage.extent(range);
  if (extent === null)
    return {
      ...header,
      totals: zero(),
      agents: [],
      days: [],
      timeline: { bucketSeconds: TIMELINE_WIDTHS_S[0]!, buckets: [] },
      durationEdgesMs: DURATION_EDGES_MS,
    };
  // Charts span the jobs, not an open-ended request (since=2000-01-01 draws no 25 empty years).
  const start = new Date(Math.max(since.getTime(), Date.parse(extent.first)));
  const end = new Date(Math.min(until.getTime(), Math.max(query.now.getTime(), Date.parse(extent.last) + 1)));
  const agents = agentUsage(state, range);
  return {
    ...header,
    totals: total(agents),
    agents,
    days: dayUsage(state, { ...range, from: start, to: end }, timezone),
    timeline: timeline(state, { ...range, from: start, to: end }),
    durationEdgesMs: DURATION_EDGES_MS,
  };
}

function total(rows: readonly UsageSums[]): Sums {
  const sum = zero();
  for (const row of rows) add(sum, row);
  return sum;
}

function agentUsage(state: StateManager, range: UsageRange): AgentUsage[] {
  return state.usage
    .byAgentOutcome(range, DURATION_EDGES_MS)
    .map(({ statuses, durations, ...row }) => {
      const outcomes: JobOutcomes = {
        completed: statuses.completed,
        failed: statuses.failed,
        timed_out: statuses.timed_out,
        interrupted: statuses.interrupted,
        cancelled: statuses.cancelled,
        active: statuses.queued + statuses.running,
      };
      const ended = outcomes.completed + outcomes.failed + outcomes.timed_out + outcomes.interrupted;
      return { ...row, outcomes, successRate: ended === 0 ? null : outcomes.completed / ended, durations };
    })
    .sort((a, b) => b.costUsd - a.costUsd || a.agent.localeCompare(b.agent));
}

function dayUsage(state: StateManager, range: UsageRange, timezone: string): DayUsage[] {
  const days = new Map(
    daysBetween(range.from, range.to, timezone).map((day) => [
      day,
      { sums: zero(), costByAgent: {} as Record<string, number> },
    ]),
  );
  for (const span of offsetSpans(range.from, range.to, timezone)) {
    for (const row of state.usage.byDayAndAgent({ ...range, from: span.from, to: span.to }, span.offset)) {
      const day = days.get(row.day);
      // Every job's day lies in the list; a missing one would mean the zone arithmetic is wrong.
      if (day === undefined) throw new Error(`usage report: day ${row.day} outside ${[...days.keys()][0]}…`);
      add(day.sums, row);
      day.costByAgent[row.agent] = (day.costByAgent[row.agent] ?? 0) + row.costUsd;
    }
  }
  return [...days].map(([day, { sums, costByAgent }]) => ({ day, ...sums, costByAgent }));
}

function timeline(state: StateManager, range: UsageRange): UsageReport["timeline"] {
  const span = range.to.getTime() - range.from.getTime();
  const bucketSeconds =
    TIMELINE_WIDTHS_S.find((w) => span / (w * 1000) <= MAX_TIMELINE_BUCKETS) ?? TIMELINE_WIDTHS_S.at(-1)!;
  const widthMs = bucketSeconds * 1000;
  const origin = new Date(Math.floor(range.from.getTime() / widthMs) * widthMs);
  const count = Math.ceil((range.to.getTime() - origin.getTime()) / widthMs);
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: new Date(origin.getTime() + i * widthMs).toISOString(),
    ...zero(),
  }));
  for (const row of state.usage.byTimeBucket(range, origin, bucketSeconds)) {
    const bucket = buckets[row.bucket];
    if (bucket !== undefined) add(bucket, row);
  }
  return { bucketSeconds, buckets };
}
