import type { StateManager } from "../state/index.js";
import type { JobStatus } from "../state/job-status.js";
import type { UsageCell, UsageRange, UsageSums } from "../state/usage.js";
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
  const cells = usageCells(state, { ...range, from: start, to: end }, timezone);
  const agents = agentUsage(cells);
  return {
    ...header,
    totals: total(agents),
    agents,
    days: dayUsage(cells, start, end, timezone),
    timeline: timelineBuckets(cells, end),
    durationEdgesMs: DURATION_EDGES_MS,
  };
}

interface Cells {
  /** Local day (YYYY-MM-DD) × timeline bucket × agent, from every offset span of the range. */
  readonly rows: readonly (UsageCell & { readonly day: string })[];
  readonly bucketSeconds: number;
  readonly origin: Date;
}

/** The narrowest timeline width that fits the range in MAX_TIMELINE_BUCKETS, and its first edge. */
function timelineGrid(from: Date, to: Date): { bucketSeconds: number; origin: Date } {
  const span = to.getTime() - from.getTime();
  const bucketSeconds =
    TIMELINE_WIDTHS_S.find((w) => span / (w * 1000) <= MAX_TIMELINE_BUCKETS) ?? TIMELINE_WIDTHS_S.at(-1)!;
  const widthMs = bucketSeconds * 1000;
  return { bucketSeconds, origin: new Date(Math.floor(from.getTime() / widthMs) * widthMs) };
}

/** "+05:30" → 19800. */
function offsetSeconds(offset: string): number {
  const [hours, minutes] = offset.slice(1).split(":").map(Number);
  return (offset.startsWith("-") ? -1 : 1) * ((hours ?? 0) * 3600 + (minutes ?? 0) * 60);
}

function usageCells(state: StateManager, range: UsageRange, timezone: string): Cells {
  const grid = timelineGrid(range.from, range.to);
  const rows: Cells["rows"][number][] = [];
  for (const span of offsetSpans(range.from, range.to, timezone)) {
    const grouping = {
      offsetSeconds: offsetSeconds(span.offset),
      origin: grid.origin,
      widthSeconds: grid.bucketSeconds,
      durationEdgesMs: DURATION_EDGES_MS,
    };
    for (const cell of state.usage.cells({ ...range, from: span.from, to: span.to }, grouping))
      rows.push({ ...cell, day: new Date(cell.dayNumber * DAY_MS).toISOString().slice(0, 10) });
  }
  return { rows, ...grid };
}

function total(rows: readonly UsageSums[]): Sums {
  const sum = zero();
  for (const row of rows) add(sum, row);
  return sum;
}

function agentUsage(cells: Cells): AgentUsage[] {
  const byAgent = new Map<string, { sums: Sums; statuses: Record<JobStatus, number>; durations: number[] }>();
  for (const cell of cells.rows) {
    let agent = byAgent.get(cell.agent);
    if (agent === undefined) {
      agent = {
        sums: zero(),
        statuses: { ...cell.statuses },
        durations: [...cell.durations],
      };
      byAgent.set(cell.agent, agent);
    } else {
      for (const status of Object.keys(agent.statuses) as JobStatus[])
        agent.statuses[status] += cell.statuses[status];
      cell.durations.forEach((count, i) => {
        agent!.durations[i] = (agent!.durations[i] ?? 0) + count;
      });
    }
    add(agent.sums, cell);
  }
  return [...byAgent]
    .map(([name, { sums, statuses, durations }]) => {
      const outcomes: JobOutcomes = {
        completed: statuses.completed,
        failed: statuses.failed,
        timed_out: statuses.timed_out,
        interrupted: statuses.interrupted,
        cancelled: statuses.cancelled,
        active: statuses.queued + statuses.running,
      };
      const ended = outcomes.completed + outcomes.failed + outcomes.timed_out + outcomes.interrupted;
      return {
        agent: name,
        ...sums,
        outcomes,
        successRate: ended === 0 ? null : outcomes.completed / ended,
        durations,
      };
    })
    .sort((a, b) => b.costUsd - a.costUsd || a.agent.localeCompare(b.agent));
}

function dayUsage(cells: Cells, from: Date, to: Date, timezone: string): DayUsage[] {
  const days = new Map(
    daysBetween(from, to, timezone).map((day) => [
      day,
      { sums: zero(), costByAgent: {} as Record<string, number> },
    ]),
  );
  for (const cell of cells.rows) {
    const day = days.get(cell.day);
    // Every job's day lies in the list; a missing one would mean the zone arithmetic is wrong.
    if (day === undefined) throw new Error(`usage report: day ${cell.day} outside ${[...days.keys()][0]}…`);
    add(day.sums, cell);
    day.costByAgent[cell.agent] = (day.costByAgent[cell.agent] ?? 0) + cell.costUsd;
  }
  return [...days].map(([day, { sums, costByAgent }]) => ({ day, ...sums, costByAgent }));
}

function timelineBuckets(cells: Cells, to: Date): UsageReport["timeline"] {
  const widthMs = cells.bucketSeconds * 1000;
  const count = Math.ceil((to.getTime() - cells.origin.getTime()) / widthMs);
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: new Date(cells.origin.getTime() + i * widthMs).toISOString(),
    ...zero(),
  }));
  for (const cell of cells.rows) {
    const bucket = buckets[cell.bucket];
    if (bucket !== undefined) add(bucket, cell);
  }
  return { bucketSeconds: cells.bucketSeconds, buckets };
}
