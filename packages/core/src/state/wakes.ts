import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName, assertSessionId, isWakeId, mintWakeId } from "./ids.js";

export type WakeKind = "once" | "cron";
/** pending until it ends: done (a one-shot fired), cancelled, expired (a cron outlived its age), missed. */
export type WakeStatus = "pending" | "done" | "cancelled" | "expired" | "missed";

export interface WakeRecord {
  readonly id: string;
  readonly agent: string;
  /** The job whose claude scheduled it. */
  readonly jobId: string | null;
  /** The session a fire resumes. */
  readonly sessionId: string;
  readonly kind: WakeKind;
  readonly prompt: string;
  readonly cron: string | null;
  /** IANA zone the cron text is read in. */
  readonly timezone: string | null;
  /** claude's own id (CronCreate), so the agent's CronDelete can end it. */
  readonly claudeId: string | null;
  readonly status: WakeStatus;
  readonly createdAt: string;
  readonly nextFireAt: string | null;
  readonly expiresAt: string | null;
  readonly lastFiredAt: string | null;
  readonly lastJobId: string | null;
  readonly fireCount: number;
  readonly endedAt: string | null;
}

export interface NewWake {
  readonly agent: string;
  readonly jobId: string | null;
  readonly sessionId: string;
  readonly kind: WakeKind;
  readonly prompt: string;
  readonly cron?: string;
  readonly timezone?: string;
  readonly claudeId?: string;
  readonly nextFireAt: Date;
  readonly expiresAt?: Date;
}

interface WakeRow {
  id: string;
  agent: string;
  job_id: string | null;
  session_id: string;
  kind: WakeKind;
  prompt: string;
  cron: string | null;
  timezone: string | null;
  claude_id: string | null;
  status: WakeStatus;
  created_at: string;
  next_fire_at: string | null;
  expires_at: string | null;
  last_fired_at: string | null;
  last_job_id: string | null;
  fire_count: number;
  ended_at: string | null;
}

function toRecord(row: WakeRow): WakeRecord {
  return {
    id: row.id,
    agent: row.agent,
    jobId: row.job_id,
    sessionId: row.session_id,
    kind: row.kind,
    prompt: row.prompt,
    cron: row.cron,
    timezone: row.timezone,
    claudeId: row.claude_id,
    status: row.status,
    createdAt: row.created_at,
    nextFireAt: row.next_fire_at,
    expiresAt: row.expires_at,
    lastFiredAt: row.last_fired_at,
    lastJobId: row.last_job_id,
    fireCount: row.fire_count,
    endedAt: row.ended_at,
  };
}

export class WakeRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly now: () => Date,
  ) {}

  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }

  create(input: NewWake): WakeRecord {
    assertAgentName(input.agent);
    assertSessionId(input.sessionId);
    const now = this.now();
    const id = mintWakeId(now);
    this.write(() =>
      this.db
        .prepare(
          `INSERT INTO wakes (id, agent, job_id, session_id, kind, prompt, cron, timezone, claude_id, status,
             created_at, next_fire_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        )
        .run(
          id,
          input.agent,
          input.jobId,
          input.sessionId,
          input.kind,
          input.prompt,
          input.cron ?? null,
          input.timezone ?? null,
          input.claudeId ?? null,
          now.toISOString(),
          input.nextFireAt.toISOString(),
          input.expiresAt?.toISOString() ?? null,
        ),
    );
    return this.require(id);
  }

  get(id: string): WakeRecord | undefined {
    if (!isWakeId(id)) return undefined;
    const row = this.db.prepare("SELECT * FROM wakes WHERE id = ?").get(id) as WakeRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  require(id: string): WakeRecord {
    const wake = this.get(id);
    if (wake === undefined) throw new RangeError(`no wake ${JSON.stringify(id)}`);
    return wake;
  }

  /** Pending wakes, soonest first; `agent` narrows to one agent. */
  pending(filter: { agent?: string } = {}): WakeRecord[] {
    const rows = (
      filter.agent === undefined
        ? this.db.prepare("SELECT * FROM wakes WHERE status = 'pending' ORDER BY next_fire_at, id").all()
        : this.db
            .prepare("SELECT * FROM wakes WHERE status = 'pending' AND agent = ? ORDER BY next_fire_at, id")
            .all(assertAgentName(filter.agent))
    ) as WakeRow[];
    return rows.map(toRecord);
  }

  countPending(agent: string): number {
    const row = this.db
      .prepare("SELECT COUNT(*) AS n FROM wakes WHERE status = 'pending' AND agent = ?")
      .get(assertAgentName(agent)) as { n: number };
    return row.n;
  }

  /** The agent's pending wake claude knows by `claudeId` (a CronCreate id). */
  byClaudeId(agent: string, claudeId: string): WakeRecord | undefined {
    const row = this.db
      .prepare("SELECT * FROM wakes WHERE status = 'pending' AND agent = ? AND claude_id = ?")
      .get(assertAgentName(agent), claudeId) as WakeRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** A fire started `jobId`; `next` re-arms a cron wake, undefined ends the wake as `endAs`. */
  fired(id: string, jobId: string, next: Date | undefined, endAs: "done" | "expired" = "done"): WakeRecord {
    const now = this.now().toISOString();
    const nextIso = next?.toISOString() ?? null;
    // CAST: Postgres cannot tell a bare parameter's type in `? IS NULL`; SQLite means the same.
    this.write(() =>
      this.db
        .prepare(
          `UPDATE wakes SET last_fired_at = ?, last_job_id = ?, fire_count = fire_count + 1,
             next_fire_at = ?, status = CASE WHEN CAST(? AS TEXT) IS NULL THEN ? ELSE status END,
             ended_at = CASE WHEN CAST(? AS TEXT) IS NULL THEN ? ELSE ended_at END
           WHERE id = ? AND status = 'pending'`,
        )
        .run(now, jobId, nextIso, nextIso, endAs, nextIso, now, id),
    );
    return this.require(id);
  }

  /** Moves a pending cron wake to its next fire without firing (a fire missed while stopped). */
  rearm(id: string, next: Date): WakeRecord {
    this.write(() =>
      this.db
        .prepare("UPDATE wakes SET next_fire_at = ? WHERE id = ? AND status = 'pending'")
        .run(next.toISOString(), id),
    );
    return this.require(id);
  }

  /** Ends a pending wake; false when it was not pending. */
  end(id: string, status: Exclude<WakeStatus, "pending">): boolean {
    return this.write(
      () =>
        this.db
          .prepare(
            "UPDATE wakes SET status = ?, ended_at = ?, next_fire_at = NULL WHERE id = ? AND status = 'pending'",
          )
          .run(status, this.now().toISOString(), id).changes > 0,
    );
  }
}
