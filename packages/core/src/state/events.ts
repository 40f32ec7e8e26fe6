import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName, assertJobId } from "./ids.js";
import { toIsoTime } from "./job-query.js";

/** One audit-log entry: what happened, when, to which agent or job. */
export interface EventRecord {
  readonly id: number;
  readonly at: string;
  readonly type: string;
  readonly agent: string | null;
  readonly jobId: string | null;
  readonly data: unknown;
}

export interface NewEvent {
  readonly type: string;
  readonly agent?: string | null;
  readonly jobId?: string | null;
  /** Any JSON-serialisable value. */
  readonly data?: unknown;
}

export interface EventQuery {
  readonly agent?: string;
  readonly jobId?: string;
  readonly type?: string;
  /** Only events with an id lower than this (the id of the oldest event already seen). */
  readonly beforeId?: number;
  /** Only events with an id higher than this, for tailing. */
  readonly afterId?: number;
  /** 1–1000; 100 by default. */
  readonly limit?: number;
}

interface EventRow {
  id: number;
  at: string;
  type: string;
  agent: string | null;
  job_id: string | null;
  data: string | null;
}

function rowToEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    agent: row.agent,
    jobId: row.job_id,
    data: row.data === null ? null : (JSON.parse(row.data) as unknown),
  };
}

export class EventRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly now: () => Date,
  ) {}

  append(event: NewEvent): EventRecord {
    if (typeof event.type !== "string" || event.type.length === 0) {
      throw new RangeError(`event type must be a non-empty string, got ${JSON.stringify(event.type)}`);
    }
    if (event.agent !== undefined && event.agent !== null) assertAgentName(event.agent);
    if (event.jobId !== undefined && event.jobId !== null) assertJobId(event.jobId);
    const data = event.data === undefined ? null : (JSON.stringify(event.data) ?? null);
    const at = this.now().toISOString();
    try {
      const result = this.db
        .prepare("INSERT INTO events (at, type, agent, job_id, data) VALUES (?, ?, ?, ?, ?)")
        .run(at, event.type, event.agent ?? null, event.jobId ?? null, data);
      return {
        id: Number(result.lastInsertRowid),
        at,
        type: event.type,
        agent: event.agent ?? null,
        jobId: event.jobId ?? null,
        data: data === null ? null : (JSON.parse(data) as unknown),
      };
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }

  /** Newest first, or oldest first when tailing with `afterId`. */
  list(query: EventQuery = {}): EventRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.agent !== undefined) {
      where.push("agent = ?");
      params.push(assertAgentName(query.agent));
    }
    if (query.jobId !== undefined) {
      where.push("job_id = ?");
      params.push(assertJobId(query.jobId));
    }
    if (query.type !== undefined) {
      where.push("type = ?");
      params.push(query.type);
    }
    if (query.beforeId !== undefined) {
      where.push("id < ?");
      params.push(query.beforeId);
    }
    if (query.afterId !== undefined) {
      where.push("id > ?");
      params.push(query.afterId);
    }
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new RangeError(`limit must be an integer from 1 to 1000, got ${limit}`);
    }
    const order = query.afterId === undefined ? "DESC" : "ASC";
    const filter = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
    const rows = this.db
      .prepare(`SELECT * FROM events${filter} ORDER BY id ${order} LIMIT ?`)
      .all(...params, limit) as EventRow[];
    return rows.map(rowToEvent);
  }

  /** Deletes events recorded before `before`; returns how many. */
  prune(before: Date | string): number {
    try {
      return this.db.prepare("DELETE FROM events WHERE at < ?").run(toIsoTime(before, "before")).changes;
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }
}
