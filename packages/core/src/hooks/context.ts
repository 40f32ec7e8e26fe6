import type { Redactor } from "../secrets/redactor.js";
import {
  type AgentMetadata,
  type ExitReason,
  type JobRecord,
  TRIGGER_TYPES,
  type TriggerType,
} from "../state/job-record.js";
import { isTerminalStatus, type TerminalJobStatus } from "../state/job-status.js";
import { HookContextError } from "./errors.js";

/**
 * The JSON a hook receives (shell: stdin; webhook: request body). Two vocabularies in one object,
 * so scripts written for either herdctl work: our snake_case fields, and the reference herdctl's
 * camelCase ones (`job.agentId`, `result`, `agent.{id,name}`, `metadata`, `triggerType`), with the
 * reference's habit of leaving its optional fields out when empty. It deliberately leaves out the
 * prompt, raw usage, pids and container ids: nothing a receiver needs, and the prompt is the
 * likeliest place for a secret. docs/hook-payload.schema.json describes it for receivers.
 */
export interface HookContext {
  /**
   * The job's terminal status: what ended, and what `on_events` matches against; or
   * "budget_exceeded" for the `budget_exceeded` hooks, with `job` the job that crossed the limit;
   * "usage_limited" for the `usage_limited` hooks, with `job` the job that met the usage limit.
   */
  readonly event: HookEvent;
  readonly fleet: string;
  /** The reference's shape; the agent's name is `agent.name` (and `job.agent`). */
  readonly agent: HookAgent;
  /** Absolute; shell hooks run here. */
  readonly working_directory: string;
  /** The reference's name for job.trigger_type. */
  readonly triggerType: TriggerType;
  readonly job: HookJob;
  readonly result: HookRunResult;
  /** What the agent wrote to its metadata file during the job; absent when it wrote none. */
  readonly metadata?: AgentMetadata;
  /** For event "budget_exceeded": the budget that was reached. */
  readonly budget?: HookBudget;
  /** For events "approval_requested" and "approval_decided": the request. */
  readonly approval?: HookApproval;
  /** For event "usage_limited": the credential paused and until when. */
  readonly usage_limit?: HookUsageLimit;
}

export type HookEvent =
  | TerminalJobStatus
  | "budget_exceeded"
  | "usage_limited"
  | "approval_requested"
  | "approval_decided";

/** Events that are not a job's end: only their own hook list runs for them. */
export const FLEET_EVENTS = [
  "budget_exceeded",
  "usage_limited",
  "approval_requested",
  "approval_decided",
] as const;

/** The pause a `usage_limited` hook is about. */
export interface HookUsageLimit {
  /** The credential by kind and hash, e.g. "subscription token 3f2a9c01": never the secret. */
  readonly credential: string;
  /** When scheduled work resumes: the reset the API named, or a bounded guess when it named none. */
  readonly resets_at: string;
  /** Where the reset came from: "rate_limit_event", "message_text", "api_error_params", or "unknown" (none named). */
  readonly source: string;
  /** The agents using that credential, whose scheduled work waits. */
  readonly agents: readonly string[];
}

/** The request an `approval_requested` or `approval_decided` hook is about. */
export interface HookApproval {
  readonly id: string;
  readonly tool: string;
  /** The call's input as stored: JSON, secrets redacted, cut to 2000 characters. */
  readonly input: string;
  readonly rule: string | null;
  readonly state: "pending" | "approved" | "denied" | "timed_out";
  readonly requested_at: string;
  readonly expires_at: string;
  readonly on_timeout: "deny" | "allow";
  readonly decided_by: string | null;
  readonly decided_via: string | null;
  readonly reason: string | null;
}

/** The budget a `budget_exceeded` hook is about. */
export interface HookBudget {
  /** "fleet", or the agent's name. */
  readonly scope: string;
  readonly period: "daily" | "monthly";
  readonly limit_usd: number;
  readonly spent_usd: number;
  readonly resets_at: string;
}

export interface HookAgent {
  readonly id: string;
  readonly name: string;
}

export interface HookJob {
  readonly id: string;
  readonly agent: string;
  readonly schedule: string | null;
  readonly trigger_type: TriggerType;
  /** Terminal, except for approval events: the job is then still waiting_approval or running. */
  readonly status: TerminalJobStatus | "waiting_approval" | "running";
  readonly exit_reason: ExitReason | null;
  readonly error: string | null;
  readonly summary: string | null;
  readonly session_id: string | null;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly duration_ms: number | null;
  readonly num_turns: number | null;
  readonly tokens: HookTokens;
  readonly cost_usd: number | null;
  readonly agentId: string;
  /** Absent for a job no schedule started, as in the reference. */
  readonly scheduleName?: string;
  readonly startedAt: string;
  readonly completedAt: string;
  readonly durationMs: number;
}

/** The reference's summary of the outcome. */
export interface HookRunResult {
  readonly success: boolean;
  /** Claude's final reply ("" when there was none), as job.summary. */
  readonly output: string;
  /** Absent when the job completed. */
  readonly error?: string;
}

export interface HookTokens {
  readonly input: number | null;
  readonly output: number | null;
  readonly cache_read: number | null;
  readonly cache_creation: number | null;
}

/** The agent facts a context needs; a ResolvedAgent satisfies it. */
export interface HookAgentInfo {
  readonly name: string;
  readonly fleetName: string;
  readonly working_directory: string;
}

/**
 * Builds the context for a finished job. `redactor` scrubs free text (error, summary, metadata)
 * once more: the executor should already have redacted them, but a hook ships them off the machine.
 */
export function buildHookContext(
  job: JobRecord,
  agent: HookAgentInfo,
  options: { redactor?: Redactor } = {},
): HookContext {
  if (!isTerminalStatus(job.status)) throw new HookContextError(job.id, job.status);
  return contextOf(job, job.status as TerminalJobStatus, agent, options);
}

/**
 * The context of an approval event: the job is live (waiting_approval, or running again once
 * decided), so `result` says it has not succeeded yet and carries no error.
 */
export function buildApprovalHookContext(
  job: JobRecord,
  agent: HookAgentInfo,
  event: "approval_requested" | "approval_decided",
  approval: HookApproval,
  options: { redactor?: Redactor } = {},
): HookContext {
  const status = isTerminalStatus(job.status) ? (job.status as TerminalJobStatus) : job.status;
  if (status !== "waiting_approval" && status !== "running" && !isTerminalStatus(status))
    throw new HookContextError(job.id, job.status);
  const base = contextOf(job, status as HookJob["status"], agent, options);
  return {
    ...base,
    event,
    result: { success: false, output: base.job.summary ?? "" },
    approval: options.redactor ? options.redactor.redactDeep(approval) : approval,
  };
}

function contextOf(
  job: JobRecord,
  status: HookJob["status"],
  agent: HookAgentInfo,
  options: { redactor?: Redactor },
): HookContext {
  const scrub = (text: string | null): string | null =>
    text === null || !options.redactor ? text : options.redactor.redact(text);
  const error = scrub(job.error);
  const summary = scrub(job.summary);
  // A job that never started (cancelled while queued) has no start: the reference's fields are
  // never empty, so they count from its creation.
  const startedAt = job.startedAt ?? job.createdAt;
  const completedAt = job.finishedAt ?? startedAt;
  const metadata =
    job.metadata === null ? undefined : (options.redactor?.redactDeep(job.metadata) ?? job.metadata);
  return {
    event: status as HookEvent,
    fleet: agent.fleetName,
    agent: { id: agent.name, name: agent.name },
    working_directory: agent.working_directory,
    triggerType: job.triggerType,
    job: {
      id: job.id,
      agent: job.agent,
      schedule: job.schedule,
      trigger_type: job.triggerType,
      status,
      exit_reason: job.exitReason,
      error,
      summary,
      session_id: job.sessionId,
      started_at: job.startedAt,
      finished_at: job.finishedAt,
      duration_ms: job.durationMs,
      num_turns: job.numTurns,
      tokens: {
        input: job.inputTokens,
        output: job.outputTokens,
        cache_read: job.cacheReadTokens,
        cache_creation: job.cacheCreationTokens,
      },
      cost_usd: job.costUsd,
      agentId: job.agent,
      ...(job.schedule === null ? {} : { scheduleName: job.schedule }),
      startedAt,
      completedAt,
      durationMs: job.durationMs ?? Math.max(0, Date.parse(completedAt) - Date.parse(startedAt)),
    },
    result: {
      success: job.status === "completed",
      output: summary ?? "",
      ...(job.status === "completed" ? {} : { error: error ?? `the job ended ${job.status}` }),
    },
    ...(metadata === undefined ? {} : { metadata }),
  };
}

export const TERMINAL_STATUSES = [
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
] as const satisfies readonly TerminalJobStatus[];

export const EXIT_REASONS = [
  "success",
  "error",
  "api_error",
  "timeout",
  "inactivity",
  "cancelled",
  "interrupted",
  "no_result",
  "max_turns",
  "budget",
  "gate",
] as const satisfies readonly ExitReason[];

// Fails to compile when ExitReason or TerminalJobStatus gains a member these lists lack.
type Missing =
  | Exclude<ExitReason, (typeof EXIT_REASONS)[number]>
  // A job a gate skipped never reaches hooks: nothing ran.
  | Exclude<TerminalJobStatus, (typeof TERMINAL_STATUSES)[number] | "skipped">;
const _complete: [Missing] extends [never] ? true : never = true;
void _complete;

export interface ContextField {
  /** "any": a metadata value, whose type only the agent knows. */
  readonly type: "string" | "number" | "boolean" | "object" | "array" | "any";
  readonly nullable: boolean;
  /** Left out of the payload when empty (the reference's optional fields) rather than null. */
  readonly optional?: boolean;
  /** The only values the field can hold, so a `when` typo ("faild") is caught at load time. */
  readonly values?: readonly string[];
}

const str = (nullable = false, values?: readonly string[]): ContextField => ({
  type: "string",
  nullable,
  values,
});
const num: ContextField = { type: "number", nullable: true };
const absentable = (type: ContextField["type"]): ContextField => ({ type, nullable: true, optional: true });

/**
 * Every fixed path a `when` filter may name, in payload order. Job fields may also be named
 * without `job.`; any `metadata.<key>` path may be named too (see METADATA_FIELD).
 */
export const HOOK_CONTEXT_FIELDS: Readonly<Record<string, ContextField>> = {
  event: str(false, [...TERMINAL_STATUSES, ...FLEET_EVENTS]),
  fleet: str(),
  agent: { type: "object", nullable: false },
  "agent.id": str(),
  "agent.name": str(),
  working_directory: str(),
  triggerType: str(false, TRIGGER_TYPES),
  job: { type: "object", nullable: false },
  "job.id": str(),
  "job.agent": str(),
  "job.schedule": str(true),
  "job.trigger_type": str(false, TRIGGER_TYPES),
  "job.status": str(false, [...TERMINAL_STATUSES, "waiting_approval", "running"]),
  "job.exit_reason": str(true, EXIT_REASONS),
  "job.error": str(true),
  "job.summary": str(true),
  "job.session_id": str(true),
  "job.started_at": str(true),
  "job.finished_at": str(true),
  "job.duration_ms": num,
  "job.num_turns": num,
  "job.tokens": { type: "object", nullable: false },
  "job.tokens.input": num,
  "job.tokens.output": num,
  "job.tokens.cache_read": num,
  "job.tokens.cache_creation": num,
  "job.cost_usd": num,
  "job.agentId": str(),
  "job.scheduleName": absentable("string"),
  "job.startedAt": str(),
  "job.completedAt": str(),
  "job.durationMs": { type: "number", nullable: false },
  result: { type: "object", nullable: false },
  "result.success": { type: "boolean", nullable: false },
  "result.output": str(),
  "result.error": absentable("string"),
  metadata: absentable("object"),
  budget: absentable("object"),
  "budget.scope": absentable("string"),
  "budget.period": { type: "string", nullable: true, optional: true, values: ["daily", "monthly"] },
  "budget.limit_usd": absentable("number"),
  "budget.spent_usd": absentable("number"),
  "budget.resets_at": absentable("string"),
  usage_limit: absentable("object"),
  "usage_limit.credential": absentable("string"),
  "usage_limit.resets_at": absentable("string"),
  "usage_limit.source": absentable("string"),
  "usage_limit.agents": absentable("array"),
  approval: absentable("object"),
  "approval.id": absentable("string"),
  "approval.tool": absentable("string"),
  "approval.input": absentable("string"),
  "approval.rule": absentable("string"),
  "approval.state": {
    type: "string",
    nullable: true,
    optional: true,
    values: ["pending", "approved", "denied", "timed_out"],
  },
  "approval.requested_at": absentable("string"),
  "approval.expires_at": absentable("string"),
  "approval.on_timeout": { type: "string", nullable: true, optional: true, values: ["deny", "allow"] },
  "approval.decided_by": absentable("string"),
  "approval.decided_via": absentable("string"),
  "approval.reason": absentable("string"),
};

/** What `metadata.<any key path>` is: whatever the agent wrote, or null when it is missing. */
export const METADATA_FIELD: ContextField = { type: "any", nullable: true };
