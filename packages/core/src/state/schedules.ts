import type { Db, DbStatement as Statement } from "./db-interface.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName } from "./ids.js";
import { toIsoTime } from "./job-query.js";
import type { JobStatus } from "./job-status.js";

/** A job's final status, or "skipped" when the overlap policy did not start one. */
export type ScheduleRunStatus = JobStatus | "skipped";

export interface ScheduleState {
  readonly agent: string;
  readonly schedule: string;
  readonly lastRunAt: string | null;
  readonly nextRunAt: string | null;
  readonly lastStatus: ScheduleRunStatus | null;
  readonly lastError: string | null;
  /** Set by `herdctl schedule enable|disable`; null means "as configured". */
  readonly enabledOverride: boolean | null;
}

/** Fields to change; `undefined` leaves a field as it is, `null` clears it. */
export interface ScheduleStatePatch {
  readonly lastRunAt?: Date | string | null;
  readonly nextRunAt?: Date | string | null;
  readonly lastStatus?: ScheduleRunStatus | null;
  readonly lastError?: string | null;
  readonly enabledOverride?: boolean | null;
}

interface ScheduleRow {
  agent: string;
  schedule: string;
  last_run_at: string | null;
  next_run_at: string | null;
  last_status: string | null;
  last_error: string | null;
  enabled_override: number | null;
}

function rowToState(row: ScheduleRow): ScheduleState {
  return {
    agent: row.agent,
    schedule: row.schedule,
    lastRunAt: row.last_run_at,
    nextRunAt: row.next_run_at,
    lastStatus: row.last_status as ScheduleRunStatus | null,
    lastError: row.last_error,
    enabledOverride: row.enabled_override === null ? null : row.enabled_override === 1,
  };
}

function assertScheduleName(schedule: string): void {
  if (typeof schedule !== "string" || schedule.length === 0) {
    throw new RangeError(`schedule name must be a non-empty string, got ${JSON.stringify(schedule)}`);
  }
}

function time(value: Date | string | null, field: string): string | null {
  return value === null ? null : toIsoTime(value, field);
}

export class ScheduleRepository {
  // Compiled once per SQL text: a fleet persists every schedule's plan often, and preparing a
  // statement costs far more than running it.
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
  ) {}

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  get(agent: string, schedule: string): ScheduleState | undefined {
    assertAgentName(agent);
    const row = this.prepare("SELECT * FROM schedules WHERE agent = ? AND schedule = ?").get(
      agent,
      schedule,
    ) as ScheduleRow | undefined;
    return row === undefined ? undefined : rowToState(row);
  }

  list(filter: { agent?: string } = {}): ScheduleState[] {
    if (filter.agent !== undefined) assertAgentName(filter.agent);
    const rows = (
      filter.agent === undefined
        ? this.prepare("SELECT * FROM schedules ORDER BY agent, schedule").all()
        : this.prepare("SELECT * FROM schedules WHERE agent = ? ORDER BY schedule").all(filter.agent)
    ) as ScheduleRow[];
    return rows.map(rowToState);
  }

  /** Creates the row if needed and applies the fields the patch sets. */
  upsert(agent: string, schedule: string, patch: ScheduleStatePatch): ScheduleState {
    assertAgentName(agent);
    assertScheduleName(schedule);
    const values: Record<string, string | number | null> = {};
    if (patch.lastRunAt !== undefined) values["last_run_at"] = time(patch.lastRunAt, "lastRunAt");
    if (patch.nextRunAt !== undefined) values["next_run_at"] = time(patch.nextRunAt, "nextRunAt");
    if (patch.lastStatus !== undefined) values["last_status"] = patch.lastStatus;
    if (patch.lastError !== undefined) values["last_error"] = patch.lastError;
    if (patch.enabledOverride !== undefined) {
      values["enabled_override"] = patch.enabledOverride === null ? null : patch.enabledOverride ? 1 : 0;
    }
    const columns = Object.keys(values);
    const insertColumns = ["agent", "schedule", ...columns];
    const update =
      columns.length === 0
        ? "DO NOTHING"
        : `DO UPDATE SET ${columns.map((column) => `${column} = excluded.${column}`).join(", ")}`;
    try {
      this.prepare(
        `INSERT INTO schedules (${insertColumns.join(", ")}) VALUES (${insertColumns.map(() => "?").join(", ")})
           ON CONFLICT (agent, schedule) ${update}`,
      ).run(agent, schedule, ...Object.values(values));
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
    return this.get(agent, schedule)!;
  }

  /** Drops the state of one schedule (e.g. removed from the configuration); returns whether it existed. */
  delete(agent: string, schedule: string): boolean {
    assertAgentName(agent);
    try {
      return (
        this.prepare("DELETE FROM schedules WHERE agent = ? AND schedule = ?").run(agent, schedule).changes >
        0
      );
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }
}
