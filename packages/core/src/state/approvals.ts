import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName, assertJobId, isApprovalId, mintApprovalId } from "./ids.js";

export const APPROVAL_STATES = ["pending", "approved", "denied", "timed_out"] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];
export const APPROVAL_CHANNELS = ["cli", "dashboard", "chat", "discord", "slack", "timeout", "api"] as const;
/** How a decision reached herdctl. */
export type ApprovalChannel = (typeof APPROVAL_CHANNELS)[number];

/** One tool call that waited (or waits) for a person. */
export interface ApprovalRecord {
  readonly id: string;
  readonly jobId: string;
  readonly agent: string;
  readonly tool: string;
  /** The call's input, redacted and cut to a size a person can read. */
  readonly input: string;
  /** Identifies the call (tool + full input) so the same call asked again finds this row. */
  readonly inputKey: string;
  /** The configured rule the call matched, when herdctl could tell. */
  readonly rule: string | null;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly onTimeout: "deny" | "allow";
  readonly state: ApprovalState;
  readonly decidedBy: string | null;
  readonly decidedVia: ApprovalChannel | null;
  readonly reason: string | null;
  readonly decidedAt: string | null;
}

export interface NewApproval {
  jobId: string;
  agent: string;
  tool: string;
  input: string;
  inputKey: string;
  rule: string | null;
  requestedAt: Date;
  expiresAt: Date;
  onTimeout: "deny" | "allow";
}

export interface ApprovalDecisionRecord {
  state: Exclude<ApprovalState, "pending">;
  by: string;
  via: ApprovalChannel;
  reason?: string | null;
}

interface ApprovalRow {
  id: string;
  job_id: string;
  agent: string;
  tool: string;
  tool_input: string;
  input_key: string;
  rule: string | null;
  requested_at: string;
  expires_at: string;
  on_timeout: "deny" | "allow";
  state: ApprovalState;
  decided_by: string | null;
  decided_via: ApprovalChannel | null;
  reason: string | null;
  decided_at: string | null;
}

function rowToApproval(row: ApprovalRow): ApprovalRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    agent: row.agent,
    tool: row.tool,
    input: row.tool_input,
    inputKey: row.input_key,
    rule: row.rule,
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    onTimeout: row.on_timeout,
    state: row.state,
    decidedBy: row.decided_by,
    decidedVia: row.decided_via,
    reason: row.reason,
    decidedAt: row.decided_at,
  };
}

const LIST_LIMIT = 500;

export class ApprovalRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly now: () => Date,
  ) {}

  create(next: NewApproval): ApprovalRecord {
    assertJobId(next.jobId);
    assertAgentName(next.agent);
    const id = mintApprovalId();
    this.run(() =>
      this.db
        .prepare(
          `INSERT INTO approvals (id, job_id, agent, tool, tool_input, input_key, rule, requested_at,
             expires_at, on_timeout, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
        )
        .run(
          id,
          next.jobId,
          next.agent,
          next.tool,
          next.input,
          next.inputKey,
          next.rule,
          next.requestedAt.toISOString(),
          next.expiresAt.toISOString(),
          next.onTimeout,
        ),
    );
    return this.get(id)!;
  }

  /** Unknown and malformed ids are both "not there": an id typed in a chat is untrusted text. */
  get(id: string): ApprovalRecord | undefined {
    if (!isApprovalId(id)) return undefined;
    const row = this.run(() => this.db.prepare("SELECT * FROM approvals WHERE id = ?").get(id)) as
      | ApprovalRow
      | undefined;
    return row && rowToApproval(row);
  }

  /** Newest first; pending only unless `all`. */
  list(query: { state?: ApprovalState; jobId?: string } = {}): ApprovalRecord[] {
    const where: string[] = [];
    const params: string[] = [];
    if (query.state) {
      where.push("state = ?");
      params.push(query.state);
    }
    if (query.jobId) {
      where.push("job_id = ?");
      params.push(query.jobId);
    }
    const sql = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY requested_at DESC, id DESC LIMIT ${LIST_LIMIT}`;
    return (this.run(() => this.db.prepare(sql).all(...params)) as ApprovalRow[]).map(rowToApproval);
  }

  /** The newest request of this job for the same call, whatever its state. */
  findForCall(jobIds: readonly string[], inputKey: string): ApprovalRecord | undefined {
    if (jobIds.length === 0) return undefined;
    const row = this.run(() =>
      this.db
        .prepare(
          `SELECT * FROM approvals WHERE job_id IN (${jobIds.map(() => "?").join(", ")}) AND input_key = ?
           ORDER BY requested_at DESC, id DESC LIMIT 1`,
        )
        .get(...jobIds, inputKey),
    ) as ApprovalRow | undefined;
    return row && rowToApproval(row);
  }

  /** Moves the request to its job (a resumed job asks again for the same call). */
  reattach(id: string, jobId: string): void {
    assertJobId(jobId);
    this.run(() => this.db.prepare("UPDATE approvals SET job_id = ? WHERE id = ?").run(jobId, id));
  }

  /**
   * Records a decision if the request is still pending; returns the row either way, so the caller
   * can tell who decided first.
   */
  decide(id: string, decision: ApprovalDecisionRecord): { record: ApprovalRecord; changed: boolean } {
    const result = this.run(() =>
      this.db
        .prepare(
          `UPDATE approvals SET state = ?, decided_by = ?, decided_via = ?, reason = ?, decided_at = ?
           WHERE id = ? AND state = 'pending'`,
        )
        .run(
          decision.state,
          decision.by,
          decision.via,
          decision.reason ?? null,
          this.now().toISOString(),
          id,
        ),
    );
    return { record: this.get(id)!, changed: result.changes === 1 };
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }
}
