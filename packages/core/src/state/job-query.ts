import { isJobStatus, type JobStatus } from "./job-status.js";

/** Which jobs to list, newest first: filters, and one page (`limit`, `before`). */
export interface JobListQuery {
  readonly agent?: string;
  readonly status?: JobStatus | readonly JobStatus[];
  readonly schedule?: string;
  /** Only jobs created at or after this time. */
  readonly since?: Date | string;
  /** Cursor: only jobs older than this job (the `nextCursor` of the previous page). */
  readonly before?: string;
  /** Page size, 1–1000; 50 by default. */
  readonly limit?: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** Where the cursor job sits in the (created_at, id) order. */
export interface CursorPosition {
  readonly createdAt: string;
  readonly id: string;
}

export function toIsoTime(value: Date | string, what: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new RangeError(`${what} ${JSON.stringify(value)} is not a valid time`);
  return date.toISOString();
}

export function pageSize(limit: number | undefined): number {
  const size = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${size}`);
  }
  return size;
}

/**
 * Newest first by (created_at, id). Each filter combination matches one index whose last columns
 * are the sort key, so SQLite walks the index backwards and stops after `limit` rows; the cursor
 * is a row-value comparison that the same index satisfies.
 */
export function buildJobListQuery(
  query: JobListQuery,
  cursor: CursorPosition | undefined,
  fetch: number,
): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.agent !== undefined) {
    where.push("agent = ?");
    params.push(query.agent);
  }
  if (query.status !== undefined) {
    const statuses: readonly unknown[] = typeof query.status === "string" ? [query.status] : query.status;
    for (const status of statuses) {
      if (!isJobStatus(status)) throw new RangeError(`unknown job status ${JSON.stringify(status)}`);
    }
    if (statuses.length === 1) {
      where.push("status = ?");
    } else {
      where.push(`status IN (${statuses.map(() => "?").join(", ")})`);
    }
    params.push(...(statuses as JobStatus[]));
  }
  if (query.schedule !== undefined) {
    where.push("schedule = ?");
    params.push(query.schedule);
  }
  if (query.since !== undefined) {
    where.push("created_at >= ?");
    params.push(toIsoTime(query.since, "since"));
  }
  if (cursor !== undefined) {
    where.push("(created_at, id) < (?, ?)");
    params.push(cursor.createdAt, cursor.id);
  }
  const filter = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
  params.push(fetch);
  return { sql: `SELECT * FROM jobs${filter} ORDER BY created_at DESC, id DESC LIMIT ?`, params };
}
