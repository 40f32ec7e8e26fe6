import type { Statement } from "better-sqlite3";
import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName } from "./ids.js";
import { JOB_STATUSES, type JobStatus } from "./job-status.js";

/** Jobs created in [from, to), optionally one agent's. */
export interface UsageRange {
  readonly from: Date;
  readonly to: Date;
  readonly agent?: string;
}

export interface UsageSums {
  readonly jobs: number;
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Cache reads and cache writes together. */
  readonly cacheTokens: number;
}

export interface DayAgentRow extends UsageSums {
  /** Local calendar day, YYYY-MM-DD. */
  readonly day: string;
  readonly agent: string;
}

export interface TimeBucketRow extends UsageSums {
  /** Index of the bucket counted from the origin. */
  readonly bucket: number;
}

export interface AgentOutcomeRow extends UsageSums {
  readonly agent: string;
  /** Jobs per status. */
  readonly statuses: Readonly<Record<JobStatus, number>>;
  /** Jobs with a duration (finished after starting) per duration bucket. */
  readonly durations: readonly number[];
}

const SUMS = `COUNT(*) AS jobs, TOTAL(cost_usd) AS costUsd, TOTAL(input_tokens) AS inputTokens,
  TOTAL(output_tokens) AS outputTokens,
  TOTAL(cache_read_tokens) + TOTAL(cache_creation_tokens) AS cacheTokens`;

/**
 * Pinned: for GROUP BY agent the planner otherwise walks jobs_by_agent to skip the sort, and pays
 * a table lookup per job, several times the sort.
 */
const JOBS = "jobs INDEXED BY jobs_usage";

/**
 * The usage report's queries: each one index range scan over the jobs of a range, grouped by
 * SQLite, so the answer is a few thousand rows at most however many jobs there are. The
 * jobs_usage index holds every column they read (migration 12).
 */
export class UsageRepository {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
  ) {}

  /** Creation time of the first and last job in the range; null when it holds none. */
  extent(range: UsageRange): { first: string; last: string } | null {
    const { where, params } = this.filter(range);
    // Two statements: SQLite answers a lone MIN or MAX from the index end, a pair by scanning.
    const first = this.get(`SELECT MIN(created_at) AS at FROM jobs WHERE ${where}`, params);
    const last = this.get(`SELECT MAX(created_at) AS at FROM jobs WHERE ${where}`, params);
    return first.at === null || last.at === null ? null : { first: first.at, last: last.at };
  }

  /** Sums per local day and agent; `offset` is the zone's UTC offset over the whole range. */
  byDayAndAgent(range: UsageRange, offset: string): DayAgentRow[] {
    const { where, params } = this.filter(range);
    return this.all(
      `SELECT date(created_at, ?) AS day, agent, ${SUMS} FROM ${JOBS} WHERE ${where} GROUP BY day, agent`,
      [offset, ...params],
    ) as DayAgentRow[];
  }

  /** Sums per time bucket of `widthSeconds`, counted from `origin`. */
  byTimeBucket(range: UsageRange, origin: Date, widthSeconds: number): TimeBucketRow[] {
    const { where, params } = this.filter(range);
    return this.all(
      // better-sqlite3 binds numbers as REAL: the casts keep the division whole.
      `SELECT (unixepoch(created_at) - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, ${SUMS} FROM ${JOBS} WHERE ${where} GROUP BY bucket`,
      [Math.floor(origin.getTime() / 1000), widthSeconds, ...params],
    ) as TimeBucketRow[];
  }

  /**
   * Sums, status counts and a duration histogram per agent: bucket i holds durations from edge
   * i-1 (0 for the first) up to edge i, the last bucket everything from the last edge up. One
   * group per agent with a SUM per status and bucket: SQLite sorts 50 groups, not 100,000 rows
   * into agent × status × bucket.
   */
  byAgentOutcome(range: UsageRange, durationEdgesMs: readonly number[]): AgentOutcomeRow[] {
    const { where, params } = this.filter(range);
    const statuses = JOB_STATUSES.map((status, i) => `SUM(status = '${status}') AS s${i}`);
    // Cumulative counts (one comparison a bucket); the buckets are their differences.
    const below = durationEdgesMs.map((edge, i) => `SUM(duration_ms < ${edge}) AS d${i}`);
    below.push(`COUNT(duration_ms) AS d${durationEdgesMs.length}`);
    const rows = this.all(
      `SELECT agent, ${statuses.join(", ")}, ${below.join(", ")}, ${SUMS}
         FROM ${JOBS} WHERE ${where} GROUP BY agent`,
      params,
    ) as (UsageSums & Record<string, number> & { agent: string })[];
    return rows.map((row) => ({
      agent: row.agent,
      jobs: row.jobs,
      costUsd: row.costUsd,
      inputTokens: row.inputTokens,
      outputTokens: row.outputTokens,
      cacheTokens: row.cacheTokens,
      statuses: Object.fromEntries(JOB_STATUSES.map((status, i) => [status, row[`s${i}`] ?? 0])) as Record<
        JobStatus,
        number
      >,
      // SUM over no duration at all is NULL.
      durations: below.map((_, i) => (row[`d${i}`] ?? 0) - (i === 0 ? 0 : (row[`d${i - 1}`] ?? 0))),
    }));
  }

  private filter(range: UsageRange): { where: string; params: string[] } {
    const params = [range.from.toISOString(), range.to.toISOString()];
    if (range.agent === undefined) return { where: "created_at >= ? AND created_at < ?", params };
    assertAgentName(range.agent);
    return { where: "agent = ? AND created_at >= ? AND created_at < ?", params: [range.agent, ...params] };
  }

  private get(sql: string, params: unknown[]): { at: string | null } {
    return this.run(() => this.prepare(sql).get(...params) as { at: string | null });
  }

  private all(sql: string, params: unknown[]): unknown[] {
    return this.run(() => this.prepare(sql).all(...params));
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
