import type { Db, DbStatement as Statement } from "./db-interface.js";
import { JobNotFoundError, translateStorageError } from "./errors.js";
import { assertAgentName, assertJobId, assertSessionId, mintJobId } from "./ids.js";
import { buildJobListQuery, type JobListQuery, pageSize } from "./job-query.js";
import {
  applyPatch,
  type JobOutcome,
  type JobPatch,
  type JobRecord,
  type JobRow,
  type JobStart,
  type NewJob,
  patchAssignments,
  RUNTIME_KINDS,
  rowToJob,
  TRIGGER_TYPES,
} from "./job-record.js";
import { assertTransition, isTerminalStatus, type JobStatus } from "./job-status.js";

/** One page of jobs, newest first. */
export interface JobPage {
  readonly jobs: JobRecord[];
  /** Pass as `before` to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * Which unfinished jobs: all of them (SQLite's one daemon after a crash), or those recorded as
 * run by one worker (a PostgreSQL daemon back under its id), optionally only these ids.
 */
export interface UnfinishedFilter {
  readonly workerId?: string;
  readonly ids?: readonly string[];
}

const UNFINISHED = "status IN ('queued', 'running', 'waiting_approval')";

function unfinishedWhere(filter: UnfinishedFilter): { sql: string; params: string[] } {
  const where = [UNFINISHED];
  const params: string[] = [];
  if (filter.workerId !== undefined) {
    where.push("worker_id = ?");
    params.push(filter.workerId);
  }
  if (filter.ids !== undefined) {
    for (const id of filter.ids) assertJobId(id);
    where.push(filter.ids.length === 0 ? "1 = 0" : `id IN (${filter.ids.map(() => "?").join(", ")})`);
    params.push(...filter.ids);
  }
  return { sql: where.join(" AND "), params };
}

function checkSessionId(sessionId: string | null | undefined): void {
  if (sessionId !== undefined && sessionId !== null) assertSessionId(sessionId);
}

/** The `jobs` table: creation, validated status transitions, and paginated history. */
export class JobRepository {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly now: () => Date,
    /** Told when a job reaches a final status, so followers of its output stop waiting for more. */
    private readonly onFinished: (id: string) => void = () => {},
  ) {}

  create(input: NewJob): JobRecord {
    assertAgentName(input.agent);
    if (!(TRIGGER_TYPES as readonly string[]).includes(input.triggerType)) {
      throw new RangeError(`unknown trigger type ${JSON.stringify(input.triggerType)}`);
    }
    if (!(RUNTIME_KINDS as readonly string[]).includes(input.runtime)) {
      throw new RangeError(`unknown runtime ${JSON.stringify(input.runtime)}`);
    }
    checkSessionId(input.sessionId);
    const now = this.now();
    const id = input.id === undefined ? mintJobId(now) : assertJobId(input.id);
    const resumedFrom = input.resumedFrom ?? null;
    const retryOf = input.retryOf ?? null;
    const forkedFrom = input.forkedFrom ?? null;
    const record: JobRecord = {
      id,
      agent: input.agent,
      schedule: input.schedule ?? null,
      triggerType: input.triggerType,
      status: "queued",
      exitReason: null,
      error: null,
      prompt: input.prompt,
      summary: null,
      sessionId: input.sessionId ?? null,
      resumedFrom,
      forkedFrom,
      runtime: input.runtime,
      docker: input.docker === true,
      offline: input.offline === true,
      pid: null,
      processGroup: null,
      containerId: null,
      createdAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      numTurns: null,
      inputTokens: null,
      outputTokens: null,
      cacheReadTokens: null,
      cacheCreationTokens: null,
      costUsd: null,
      usage: null,
      hookErrors: null,
      attempt: input.attempt ?? 1,
      retryOf,
      nextRetryAt: null,
      apiErrorKind: null,
      toolFailures: null,
      metadata: null,
      egress: null,
      workerId: input.workerId ?? null,
      cancelRequested: false,
    };
    return this.write(() => {
      if (resumedFrom !== null) this.require(resumedFrom);
      if (retryOf !== null) this.require(retryOf);
      if (forkedFrom !== null) this.require(forkedFrom);
      this.prepare(
        `INSERT INTO jobs (id, agent, schedule, trigger_type, status, prompt, session_id, resumed_from,
           runtime, docker, offline, created_at, attempt, retry_of, forked_from, worker_id)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        record.agent,
        record.schedule,
        record.triggerType,
        record.prompt,
        record.sessionId,
        resumedFrom,
        record.runtime,
        record.docker ? 1 : 0,
        record.offline ? 1 : 0,
        record.createdAt,
        record.attempt,
        retryOf,
        forkedFrom,
        record.workerId,
      );
      return record;
    });
  }

  get(id: string): JobRecord | undefined {
    assertJobId(id);
    const row = this.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return row === undefined ? undefined : rowToJob(row);
  }

  /** Whether a job was made to continue this one (`on_interrupt: resume`, or an approval's wait). */
  wasResumed(id: string): boolean {
    assertJobId(id);
    return this.prepare("SELECT 1 FROM jobs WHERE resumed_from = ? LIMIT 1").get(id) !== undefined;
  }

  /** The newest completed job that ran in this session: its usage is the session's latest size. */
  lastCompletedInSession(sessionId: string): JobRecord | undefined {
    assertSessionId(sessionId);
    const row = this.prepare(
      "SELECT * FROM jobs WHERE session_id = ? AND status = 'completed' ORDER BY created_at DESC, id DESC LIMIT 1",
    ).get(sessionId) as JobRow | undefined;
    return row === undefined ? undefined : rowToJob(row);
  }

  require(id: string): JobRecord {
    const job = this.get(id);
    if (job === undefined) throw new JobNotFoundError(id);
    return job;
  }

  /** queued → running. */
  start(id: string, details: JobStart = {}): JobRecord {
    checkSessionId(details.sessionId);
    return this.write(() => {
      const job = this.require(id);
      assertTransition(id, job.status, "running");
      const startedAt = this.now().toISOString();
      const { columns, values } = patchAssignments(details);
      this.setStatus(id, job.status, "running", ["started_at", ...columns], [startedAt, ...values]);
      return { ...applyPatch(job, details), status: "running", startedAt };
    });
  }

  /** running ↔ waiting_approval: a tool call of the job waits for a person, or no longer does. */
  setWaiting(id: string, waiting: boolean): JobRecord {
    return this.write(() => {
      const job = this.require(id);
      const to: JobStatus = waiting ? "waiting_approval" : "running";
      if (job.status === to) return job;
      assertTransition(id, job.status, to);
      this.setStatus(id, job.status, to, [], []);
      return { ...job, status: to };
    });
  }

  /** Moves a job to a final status and records why and what it cost. */
  finish(id: string, outcome: JobOutcome): JobRecord {
    checkSessionId(outcome.sessionId);
    return this.write(() => {
      const job = this.require(id);
      assertTransition(id, job.status, outcome.status);
      const finishedAt = this.now();
      const durationMs = job.startedAt === null ? null : finishedAt.getTime() - Date.parse(job.startedAt);
      const { columns, values } = patchAssignments(outcome);
      this.setStatus(
        id,
        job.status,
        outcome.status,
        ["exit_reason", "finished_at", "duration_ms", ...columns],
        [outcome.exitReason, finishedAt.toISOString(), durationMs, ...values],
      );
      return {
        ...applyPatch(job, outcome),
        status: outcome.status,
        exitReason: outcome.exitReason,
        finishedAt: finishedAt.toISOString(),
        durationMs,
      };
    });
  }

  /**
   * Asks the worker running the job on another machine to stop it (it looks every second); false
   * when the job is not running or waiting any more.
   */
  requestCancel(id: string): boolean {
    assertJobId(id);
    return this.write(
      () =>
        this.prepare(
          "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status IN ('queued', 'running', 'waiting_approval')",
        ).run(id).changes === 1,
    );
  }

  /** Changes details without touching the status; allowed after the job has finished. */
  update(id: string, patch: JobPatch): JobRecord {
    checkSessionId(patch.sessionId);
    return this.write(() => {
      const job = this.require(id);
      const { columns, values } = patchAssignments(patch);
      if (columns.length > 0) {
        this.prepare(`UPDATE jobs SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`).run(
          ...values,
          id,
        );
      }
      return applyPatch(job, patch);
    });
  }

  list(query: JobListQuery = {}): JobPage {
    if (query.agent !== undefined) assertAgentName(query.agent);
    const limit = pageSize(query.limit);
    let cursor: { createdAt: string; id: string } | undefined;
    if (query.before !== undefined) {
      const anchor = this.require(query.before);
      cursor = { createdAt: anchor.createdAt, id: anchor.id };
    }
    const { sql, params } = buildJobListQuery(query, cursor, limit + 1);
    const rows = this.prepare(sql).all(...params) as JobRow[];
    const jobs = rows.slice(0, limit).map(rowToJob);
    const last = jobs[jobs.length - 1];
    return { jobs, nextCursor: rows.length > limit && last !== undefined ? last.id : null };
  }

  /**
   * Dollars recorded by jobs created in [from, to): one agent's, or the fleet's. Jobs still
   * running have no cost yet and count once they end.
   */
  spend(from: Date, to: Date, agent?: string): number {
    const row = (
      agent === undefined
        ? this.prepare(
            "SELECT TOTAL(cost_usd) AS usd FROM jobs WHERE created_at >= ? AND created_at < ?",
          ).get(from.toISOString(), to.toISOString())
        : this.prepare(
            "SELECT TOTAL(cost_usd) AS usd FROM jobs WHERE agent = ? AND created_at >= ? AND created_at < ?",
          ).get(agent, from.toISOString(), to.toISOString())
    ) as { usd: number };
    return row.usd;
  }

  /** Queued, running and waiting jobs (`filter` says whose), oldest first. */
  unfinished(filter: UnfinishedFilter = {}): JobRecord[] {
    const { sql, params } = unfinishedWhere(filter);
    const rows = this.prepare(`SELECT * FROM jobs WHERE ${sql} ORDER BY created_at, id`).all(
      ...params,
    ) as JobRow[];
    return rows.map(rowToJob);
  }

  /**
   * Marks the queued, running and waiting jobs `filter` picks (default: all) interrupted, for a
   * daemon starting after a crash: no process of its previous life is still reporting on them.
   * Returns the ids it changed.
   */
  interruptUnfinished(error: string, filter: UnfinishedFilter = {}): string[] {
    const { sql, params } = unfinishedWhere(filter);
    return this.write(() => {
      const rows = this.prepare(`SELECT id, status FROM jobs WHERE ${sql} ORDER BY created_at, id`).all(
        ...params,
      ) as { id: string; status: JobStatus }[];
      for (const row of rows) {
        this.finish(row.id, { status: "interrupted", exitReason: "interrupted", error });
      }
      return rows.map((row) => row.id);
    });
  }

  private setStatus(
    id: string,
    from: JobStatus,
    to: JobStatus,
    columns: readonly string[],
    values: readonly (string | number | null)[],
  ): void {
    const sets = ["status = ?", ...columns.map((c) => `${c} = ?`)].join(", ");
    // Guarded by the status read a moment ago: another process sharing the database cannot
    // slip a conflicting transition in between.
    const result = this.prepare(`UPDATE jobs SET ${sets} WHERE id = ? AND status = ?`).run(
      to,
      ...values,
      id,
      from,
    );
    if (result.changes !== 1) assertTransition(id, this.require(id).status, to);
    if (isTerminalStatus(to)) this.onFinished(id);
  }

  /** Runs a write in one transaction (IMMEDIATE, so concurrent writers queue instead of failing). */
  private write<T>(fn: () => T): T {
    try {
      return this.db.inTransaction ? fn() : this.db.transaction(fn).immediate();
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
