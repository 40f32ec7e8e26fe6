import { OUTPUT_TABLE, TRANSCRIPTS_TABLE } from "../cluster/central-schema.js";
import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";

/** Which jobs a prune may remove; every limit is optional. */
export interface RetentionLimits {
  /** Records (and their output) of jobs created before this go. */
  readonly recordsBefore?: Date;
  /** Beyond this many newest jobs of an agent, the older records (and output) go. */
  readonly maxJobsPerAgent?: number;
  /** Output files of jobs created before this go; their records stay. */
  readonly outputBefore?: Date;
}

export interface RetentionPlan {
  /** Jobs whose record and output go. */
  readonly records: string[];
  /** Jobs whose output goes while the record stays. */
  readonly outputOnly: string[];
  /** Jobs a limit named but that must stay: running or queued, or holding a current session. */
  readonly protectedCount: number;
}

const TERMINAL = "('completed', 'failed', 'cancelled', 'timed_out', 'interrupted')";

/**
 * What stays no matter what: jobs still running or queued, and the newest job of each session
 * something will continue (an agent's current session, a pending wake's, a chat's), which is the job that
 * holds it: forks and `herdctl job` start from it. Older jobs of a long-lived session may go; claude
 * resumes from its transcript, not from our records. Non-correlated SQL, so a plan over 100,000
 * jobs is one query, not 100,000 lookups.
 */
const HOLDERS = `SELECT (SELECT j.id FROM jobs j WHERE j.session_id = live.session_id
    ORDER BY j.created_at DESC, j.id DESC LIMIT 1) AS id
  FROM (SELECT session_id FROM sessions
    UNION SELECT session_id FROM wakes WHERE status = 'pending'
    UNION SELECT session_id FROM chats WHERE session_id IS NOT NULL) live`;
/**
 * A session whose jobs are all gone gives HOLDERS a NULL row, and `NOT (x IN (…, NULL))` is NULL,
 * never true: without the filter one such session kept every job's output from being pruned.
 */
const HOLDER_IDS = `SELECT id FROM (${HOLDERS}) holders WHERE id IS NOT NULL`;
const PROTECTED = `(status NOT IN ${TERMINAL} OR id IN (${HOLDER_IDS}))`;

/** The SQL side of `herdctl prune`: plan from limits, then delete in bounded batches. */
export class RetentionRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
  ) {}

  plan(limits: RetentionLimits): RetentionPlan {
    const records = new Set<string>();
    let protectedCount = 0;
    const take = (sql: string, ...params: unknown[]) => {
      for (const row of this.db.prepare(sql).iterate(...params) as Iterable<{
        id: string;
        keep: number | boolean;
      }>) {
        if (row.keep) protectedCount++;
        else records.add(row.id);
      }
    };
    if (limits.recordsBefore)
      take(
        `SELECT id, ${PROTECTED} AS keep FROM jobs WHERE created_at < ?`,
        limits.recordsBefore.toISOString(),
      );
    if (limits.maxJobsPerAgent !== undefined)
      for (const agent of this.agents()) {
        const over = this.overLimit(agent, limits.maxJobsPerAgent);
        protectedCount += over.protectedCount;
        for (const id of over.records) records.add(id);
      }
    const outputOnly: string[] = [];
    if (limits.outputBefore) {
      const rows = this.db
        .prepare(`SELECT id FROM jobs WHERE created_at < ? AND NOT ${PROTECTED}`)
        .all(limits.outputBefore.toISOString()) as { id: string }[];
      for (const { id } of rows) if (!records.has(id)) outputOnly.push(id);
    }
    // A job both limits named is counted once as protected by the set semantics of the records.
    return { records: [...records], outputOnly, protectedCount };
  }

  /**
   * Agents that have jobs: one index seek per agent (the next name after the last), not a scan of
   * every job's index entry (`SELECT DISTINCT` over 100,000 jobs held a prune's daemon ~75 ms).
   */
  agents(): string[] {
    const next = this.db.prepare("SELECT agent FROM jobs WHERE agent > ? ORDER BY agent LIMIT 1").pluck();
    const agents: string[] = [];
    for (
      let agent = next.get("") as string | undefined;
      agent !== undefined;
      agent = next.get(agent) as string | undefined
    )
      agents.push(agent);
    return agents;
  }

  /**
   * One agent's jobs beyond its newest `keep`: a range of the agent's index, so a prune can plan
   * agent by agent and let the daemon answer in between (one window over 100,000 jobs held it for
   * seconds). With `limit`, only that many of them, from `skip` on: the jobs skipped are walked in
   * the index alone, and only the ones returned are read from the table (2,000 at once took 40 ms).
   */
  overLimit(
    agent: string,
    keep: number,
    page: { skip: number; limit: number } = { skip: 0, limit: -1 },
  ): { records: string[]; protectedCount: number; seen: number } {
    const records: string[] = [];
    let protectedCount = 0;
    let seen = 0;
    // Postgres has no rowid; its primary key serves (a LIMIT of NULL is no limit there, -1 here).
    const key = this.postgres ? "id" : "rowid";
    const rows = this.db
      .prepare(
        `SELECT id, ${PROTECTED} AS keep FROM jobs WHERE ${key} IN (
           SELECT ${key} FROM jobs WHERE agent = ?
           ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?)`,
      )
      .iterate(agent, this.postgres && page.limit < 0 ? null : page.limit, keep + page.skip) as Iterable<{
      id: string;
      keep: number | boolean;
    }>;
    for (const row of rows) {
      seen++;
      if (row.keep) protectedCount++;
      else records.push(row.id);
    }
    return { records, protectedCount, seen };
  }

  /**
   * Deletes job records and their events in one transaction, from the start of `ids` until they
   * are done or `budgetMs` has passed, so one call never holds the daemon long whatever the
   * machine's pace; returns how many ids it went through and how many records went.
   */
  deleteJobs(ids: readonly string[], budgetMs = Number.POSITIVE_INFINITY): { done: number; removed: number } {
    try {
      if (this.postgres) return this.deleteJobsPg(ids);
      return this.db
        .transaction(() => {
          // Checked again inside the transaction: a job may have started a session since the plan.
          const holders = new Set(
            (this.db.prepare(HOLDERS).all() as { id: string | null }[]).map((r) => r.id),
          );
          const job = this.db.prepare(`DELETE FROM jobs WHERE id = ? AND status IN ${TERMINAL}`);
          const events = this.db.prepare("DELETE FROM events WHERE job_id = ?");
          let removed = 0;
          let done = 0;
          const t0 = performance.now();
          for (const id of ids) {
            done++;
            if (holders.has(id)) continue;
            const changes = job.run(id).changes;
            if (changes) events.run(id);
            removed += changes;
            if (performance.now() - t0 >= budgetMs) break;
          }
          return { done, removed };
        })
        .immediate();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }

  /**
   * Postgres: one statement for the whole batch, because each statement is a round trip (a row at
   * a time fitted two or three rows into SQLite's 4 ms slice). Readers are not blocked by it
   * (MVCC), and the writer lock it holds is held for one round trip plus the delete.
   */
  private deleteJobsPg(ids: readonly string[]): { done: number; removed: number } {
    return this.db
      .transaction(() => {
        const removed = (
          this.db
            .prepare(
              `DELETE FROM jobs WHERE id = ANY(?::text[]) AND status IN ${TERMINAL}
                 AND id NOT IN (${HOLDER_IDS}) RETURNING id`,
            )
            .all([...ids]) as { id: string }[]
        ).map((row) => row.id);
        if (removed.length > 0) {
          this.db.prepare("DELETE FROM events WHERE job_id = ANY(?::text[])").run(removed);
          this.db.prepare(`DELETE FROM ${OUTPUT_TABLE} WHERE job_id = ANY(?::text[])`).run(removed);
        }
        return { done: ids.length, removed: removed.length };
      })
      .immediate();
  }

  /**
   * Postgres: the stored output lines of jobs whose output a prune removes while their records
   * stay (a job's record going takes its lines with it in `deleteJobs`). One statement.
   */
  deleteStoredOutput(ids: readonly string[]): number {
    if (!this.postgres || ids.length === 0) return 0;
    return this.db.prepare(`DELETE FROM ${OUTPUT_TABLE} WHERE job_id = ANY(?::text[])`).run([...ids]).changes;
  }

  /**
   * Postgres: stored transcripts of sessions no job references any more and nothing will continue
   * (the agent's current session, a pending wake's, a chat's). Returns how many went.
   */
  pruneStoredTranscripts(): number {
    if (!this.postgres) return 0;
    return this.db
      .prepare(
        `DELETE FROM ${TRANSCRIPTS_TABLE} t
          WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.agent = t.agent AND j.session_id = t.session_id)
            AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.agent = t.agent AND s.session_id = t.session_id)
            AND NOT EXISTS (SELECT 1 FROM wakes w WHERE w.session_id = t.session_id AND w.status = 'pending')
            AND NOT EXISTS (SELECT 1 FROM chats c WHERE c.session_id = t.session_id)`,
      )
      .run().changes;
  }

  /** On Postgres: the tables whose rows a prune removes, given back to Postgres by VACUUM. */
  private static readonly PG_PRUNED = [
    "jobs",
    "events",
    "audit",
    "usage_versions",
    OUTPUT_TABLE,
    TRANSCRIPTS_TABLE,
  ];

  /**
   * Gives freed pages back to the file system. The first prune of a database converts it to
   * incremental vacuum with one full VACUUM (which briefly holds it); later ones are incremental.
   * Turning it on at creation instead would change how SQLite reports a damaged file.
   */
  vacuum(): { converted: boolean; walTruncated: boolean } {
    if (this.postgres) {
      // Plain VACUUM: the dead rows' space becomes reusable by new rows, and empty pages at a
      // table's end go back to the file system. It takes no lock that stops readers or writers,
      // unlike VACUUM FULL, which rewrites a table under an exclusive lock every other machine
      // would wait on. Not allowed inside a transaction, so one statement on its own.
      this.db.exec(`VACUUM (ANALYZE) ${RetentionRepository.PG_PRUNED.join(", ")}`);
      return { converted: false, walTruncated: true };
    }
    let converted = false;
    let walTruncated = false;
    try {
      const mode = this.db.pragma("auto_vacuum", { simple: true }) as number;
      if (mode !== 2) {
        this.db.pragma("auto_vacuum = INCREMENTAL");
        this.db.exec("VACUUM");
        converted = true;
      } else this.db.pragma("incremental_vacuum");
    } finally {
      walTruncated = this.truncateWal();
    }
    return { converted, walTruncated };
  }

  /**
   * SQLite: writes the write-ahead log back and empties it (it holds the freed pages until then).
   * False when another connection kept it from finishing within busy_timeout (a long read, say);
   * the log then keeps its size until a later try.
   */
  truncateWal(): boolean {
    if (this.postgres) return true;
    const [result] = this.db.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number }>;
    return result?.busy === 0;
  }

  /**
   * One slice of giving space back on a database already in incremental mode: frees up to `pages`
   * pages; true while more are left. The caller yields between slices and calls `vacuum` at the
   * end (conversion, checkpoint). False at once on a database not yet converted.
   */
  vacuumSlice(pages: number): boolean {
    if (this.postgres) return false;
    if ((this.db.pragma("auto_vacuum", { simple: true }) as number) !== 2) return false;
    this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
    return (this.db.pragma("freelist_count", { simple: true }) as number) > 0;
  }

  /**
   * Bytes the state takes in PostgreSQL: our tables with their indexes and TOAST, as
   * pg_total_relation_size counts them (what `status` shows where SQLite shows its file's size).
   * Every table of the current schema, so a table added later is counted without a change here.
   */
  pgBytes(): number {
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm')`,
      )
      .get() as { bytes: number };
    return row.bytes;
  }

  private get postgres(): boolean {
    return this.db.dialect === "postgres";
  }

  /** Jobs per status, for the size line of `status`. */
  jobCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM jobs").get() as { n: number }).n;
  }
}
