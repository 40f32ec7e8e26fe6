import type { Db, DbStatement as Statement } from "./db-interface.js";
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

/**
 * Sums, status counts and duration counts of one agent's jobs in one local day and one timeline
 * bucket: every grouping the report draws is a sum of these.
 */
export interface UsageCell extends UsageSums {
  /** Local calendar day, as whole days since 1970-01-01 in the span's offset. */
  readonly dayNumber: number;
  /** Index of the timeline bucket counted from the origin. */
  readonly bucket: number;
  readonly agent: string;
  /** Jobs per status. */
  readonly statuses: Readonly<Record<JobStatus, number>>;
  /** Jobs with a duration (finished after starting) per duration bucket. */
  readonly durations: readonly number[];
}

/** How one pass groups a range: the local day's offset and the timeline's buckets. */
export interface UsageGrouping {
  /** The zone's UTC offset over the whole range, seconds east of UTC. */
  readonly offsetSeconds: number;
  readonly origin: Date;
  readonly widthSeconds: number;
  /**
   * Duration bucket i holds durations from edge i-1 (0 for the first) up to edge i, the last
   * bucket everything from the last edge up.
   */
  readonly durationEdgesMs: readonly number[];
}

/** Quoted aliases: Postgres folds bare ones to lower case. */
const SUMS = `COUNT(*) AS jobs, TOTAL(cost_usd) AS "costUsd", TOTAL(input_tokens) AS "inputTokens",
  TOTAL(output_tokens) AS "outputTokens",
  TOTAL(cache_read_tokens) + TOTAL(cache_creation_tokens) AS "cacheTokens"`;

/**
 * Pinned: for GROUP BY agent the planner otherwise walks jobs_by_agent to skip the sort, and pays
 * a table lookup per job, several times the sort.
 */
const JOBS = "jobs INDEXED BY jobs_usage";

const DAY_MS = 86_400_000;
/** Ranges of whole days whose cells are kept; a dashboard asks for a handful. */
const KEPT_RANGES = 16;

/**
 * The usage report's queries: each one index range scan over the jobs of a range, grouped by
 * SQLite, so the answer is a few thousand rows at most however many jobs there are. The
 * jobs_usage index holds every column they read (migration 12).
 */
export class UsageRepository {
  private readonly statements = new Map<string, Statement>();
  /** Cells of whole UTC days, with the sum of those days' usage versions when they were counted. */
  private readonly kept = new Map<string, { stamp: number; cells: UsageCell[] }>();

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

  /**
   * The range's jobs grouped by local day, timeline bucket and agent, with a SUM per status and
   * per duration edge: a few thousand groups whatever the number of jobs. Per agent, per day and
   * per bucket are sums of these, so the report reads each job once (three scans, one per
   * grouping, cost about as much again), and cells from pieces of the range add up like the
   * range's own.
   *
   * The whole UTC days inside the range are counted once and kept until a job of one of them is
   * written (migration 18's triggers bump the day's version): a report scans only the partial
   * days at its ends, today's open one included, plus any day that changed since.
   */
  cells(range: UsageRange, grouping: UsageGrouping): UsageCell[] {
    const firstWhole = Math.ceil(range.from.getTime() / DAY_MS) * DAY_MS;
    const lastWhole = Math.floor(range.to.getTime() / DAY_MS) * DAY_MS;
    if (lastWhole <= firstWhole) return this.scan(range, grouping);
    const head = { ...range, to: new Date(firstWhole) };
    const tail = { ...range, from: new Date(lastWhole) };
    return [
      ...(firstWhole > range.from.getTime() ? this.scan(head, grouping) : []),
      ...this.wholeDays({ ...range, from: head.to, to: tail.from }, grouping),
      ...(lastWhole < range.to.getTime() ? this.scan(tail, grouping) : []),
    ];
  }

  private wholeDays(range: UsageRange, grouping: UsageGrouping): UsageCell[] {
    const key = JSON.stringify([range.agent, range.from, range.to, grouping]);
    // Versions only grow and rows are never removed, so any write to these days raises the sum.
    const { stamp } = this.run(
      () =>
        this.prepare("SELECT TOTAL(version) AS stamp FROM usage_versions WHERE day >= ? AND day < ?").get(
          range.from.toISOString().slice(0, 10),
          range.to.toISOString().slice(0, 10),
        ) as { stamp: number },
    );
    const kept = this.kept.get(key);
    if (kept?.stamp === stamp) return kept.cells;
    const cells = this.scan(range, grouping);
    this.kept.delete(key);
    if (this.kept.size >= KEPT_RANGES) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, { stamp, cells });
    return cells;
  }

  private scan(range: UsageRange, grouping: UsageGrouping): UsageCell[] {
    const { where, params } = this.filter(range);
    const pg = this.db.dialect === "postgres";
    // Postgres sums no booleans: it counts the rows that pass a filter instead.
    const count = (condition: string) => (pg ? `COUNT(*) FILTER (WHERE ${condition})` : `SUM(${condition})`);
    const statuses = JOB_STATUSES.map((status, i) => `${count(`status = '${status}'`)} AS s${i}`);
    // Cumulative counts (one comparison a bucket); the buckets are their differences.
    const edges = grouping.durationEdgesMs;
    const below = edges.map((edge, i) => `${count(`duration_ms < ${edge}`)} AS d${i}`);
    below.push(`COUNT(duration_ms) AS d${edges.length}`);
    const rows = this.all(
      pg
        ? // Whole seconds since 1970 as unixepoch() gives them (floored, not rounded); bigint
          // division truncates toward zero as SQLite's integer division does. Quoted aliases keep
          // their case, which Postgres would fold.
          `WITH j AS (SELECT *, CAST(floor(extract(epoch FROM CAST(created_at AS timestamptz))) AS BIGINT) AS t
             FROM jobs WHERE ${where})
           SELECT (t + CAST(? AS BIGINT)) / 86400 AS "dayNumber",
             (t - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS bucket,
             agent, ${statuses.join(", ")}, ${below.join(", ")}, ${SUMS}
             FROM j GROUP BY 1, 2, agent`
        : // better-sqlite3 binds numbers as REAL: the casts keep the divisions whole.
          `SELECT (unixepoch(created_at) + CAST(? AS INTEGER)) / 86400 AS dayNumber,
         (unixepoch(created_at) - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket,
         agent, ${statuses.join(", ")}, ${below.join(", ")}, ${SUMS}
         FROM ${JOBS} WHERE ${where} GROUP BY dayNumber, bucket, agent`,
      pg
        ? [
            ...params,
            grouping.offsetSeconds,
            Math.floor(grouping.origin.getTime() / 1000),
            grouping.widthSeconds,
          ]
        : [
            grouping.offsetSeconds,
            Math.floor(grouping.origin.getTime() / 1000),
            grouping.widthSeconds,
            ...params,
          ],
    ) as (UsageSums & Record<string, number> & { agent: string; dayNumber: number; bucket: number })[];
    return rows.map((row) => ({
      dayNumber: row.dayNumber,
      bucket: row.bucket,
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
