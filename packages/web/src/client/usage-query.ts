import { api } from "./api.js";
import type { UsageReport } from "./types.js";

export const USAGE_RANGES: Record<string, { label: string; days: number | null }> = {
  "1d": { label: "last 24 hours", days: 1 },
  "7d": { label: "last 7 days", days: 7 },
  "30d": { label: "last 30 days", days: 30 },
  "90d": { label: "last 90 days", days: 90 },
  "365d": { label: "last year", days: 365 },
  all: { label: "all time", days: null },
};
export const DEFAULT_USAGE_RANGE = "30d";

/** The report a usage page URL asks for: its range and agent, and the API path that answers it. */
export function usageQuery(query: URLSearchParams): {
  range: string;
  agent: string;
  key: string;
  path: string;
} {
  const range = USAGE_RANGES[query.get("range") ?? ""] ? query.get("range")! : DEFAULT_USAGE_RANGE;
  const agent = query.get("agent") ?? "";
  const days = USAGE_RANGES[range]!.days;
  const params = new URLSearchParams();
  params.set(
    "since",
    days === null ? "1970-01-01T00:00:00.000Z" : new Date(Date.now() - days * 86_400_000).toISOString(),
  );
  if (agent) params.set("agent", agent);
  return { range, agent, key: `${range}|${agent}`, path: `/api/usage/report?${params}` };
}

/**
 * A report asked for before the page needed it (before its chunk arrived, while the dashboard was
 * idle, or while the pointer was on the menu's "Usage"); taken once by the page. `value` is set
 * once it has answered, so the page can draw it in its first render.
 */
let early: { key: string; at: number; report: Promise<UsageReport>; value?: UsageReport } | undefined;

/**
 * How long an early report may wait for its page. A click usually follows an idle dashboard's
 * prefetch within this; one that comes later asks again (the pointer on "Usage" asks again then).
 * A job that changes meanwhile drops it sooner (`dropEarlyUsageReport`).
 */
const EARLY_MS = 30_000;

const fresh = (key: string) => early?.key === key && Date.now() - early.at < EARLY_MS;

/**
 * Asks for the report a usage page URL will show, now: the page's chunk and the report then load
 * side by side instead of one after the other, or the report is on its way before the click.
 */
export function prefetchUsageReport(query: URLSearchParams): void {
  const { key, path } = usageQuery(query);
  if (fresh(key)) return;
  const mine: NonNullable<typeof early> = { key, at: Date.now(), report: api.get<UsageReport>(path) };
  early = mine;
  mine.report.then(
    (value) => {
      mine.value = value;
    },
    // A failed early answer (say, not logged in yet) is not kept for a page shown later.
    () => {
      if (early === mine) early = undefined;
    },
  );
}

/** A job was created, changed or removed: an early report may no longer be the API's answer. */
export function dropEarlyUsageReport(): void {
  early = undefined;
}

/**
 * The early report for a usage page URL when it has already answered: the page then draws its
 * charts in its first render instead of one task later. Read during a render (which React may
 * throw away and do again), so it is not taken here: the page calls `usedEarlyUsageReport` once it
 * is shown.
 */
export function answeredUsageReport(query: URLSearchParams): UsageReport | undefined {
  return early?.value && fresh(usageQuery(query).key) ? early.value : undefined;
}

/** The page shows this early report: a later visit asks again. */
export function usedEarlyUsageReport(report: UsageReport): void {
  if (early?.value === report) early = undefined;
}

/** The report for the page: the early one when it is for the same range and agent, else a new one. */
export function loadUsageReport(query: URLSearchParams): Promise<UsageReport> {
  const { key, path } = usageQuery(query);
  if (early && fresh(key)) {
    const { report } = early;
    early = undefined;
    return report;
  }
  return api.get<UsageReport>(path);
}
