import type { Redactor } from "../secrets/redactor.js";
import { type ExitReason, type JobRecord, TRIGGER_TYPES, type TriggerType } from "../state/job-record.js";
import { isTerminalStatus, type TerminalJobStatus } from "../state/job-status.js";
import { HookContextError } from "./errors.js";

/**
 * The JSON a hook receives (shell: stdin; webhook: request body). snake_case because it is a
 * wire format users script against. It deliberately leaves out the prompt, raw usage, pids and
 * container ids: nothing a receiver needs, and the prompt is the likeliest place for a secret.
 */
export interface HookContext {
  /** The job's terminal status: what ended, and what `on_events` matches against. */
  readonly event: TerminalJobStatus;
  readonly fleet: string;
  readonly agent: string;
  /** Absolute; shell hooks run here. */
  readonly working_directory: string;
  readonly job: HookJob;
}

export interface HookJob {
  readonly id: string;
  readonly agent: string;
  readonly schedule: string | null;
  readonly trigger_type: TriggerType;
  readonly status: TerminalJobStatus;
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
 * Builds the context for a finished job. `redactor` scrubs free text (error, summary) once more:
 * the executor should already have redacted them, but a hook ships them off the machine.
 */
export function buildHookContext(
  job: JobRecord,
  agent: HookAgentInfo,
  options: { redactor?: Redactor } = {},
): HookContext {
  if (!isTerminalStatus(job.status)) throw new HookContextError(job.id, job.status);
  const scrub = (text: string | null): string | null =>
    text === null || !options.redactor ? text : options.redactor.redact(text);
  return {
    event: job.status,
    fleet: agent.fleetName,
    agent: agent.name,
    working_directory: agent.working_directory,
    job: {
      id: job.id,
      agent: job.agent,
      schedule: job.schedule,
      trigger_type: job.triggerType,
      status: job.status,
      exit_reason: job.exitReason,
      error: scrub(job.error),
      summary: scrub(job.summary),
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
    },
  };
}

export const TERMINAL_STATUSES = [
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
] as const satisfies readonly TerminalJobStatus[];

const EXIT_REASONS = [
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
] as const satisfies readonly ExitReason[];

// Fails to compile when ExitReason or TerminalJobStatus gains a member these lists lack.
type Missing =
  | Exclude<ExitReason, (typeof EXIT_REASONS)[number]>
  | Exclude<TerminalJobStatus, (typeof TERMINAL_STATUSES)[number]>;
const _complete: [Missing] extends [never] ? true : never = true;
void _complete;

export interface ContextField {
  readonly type: "string" | "number" | "object";
  readonly nullable: boolean;
  /** The only values the field can hold, so a `when` typo ("faild") is caught at load time. */
  readonly values?: readonly string[];
}

const str = (nullable = false, values?: readonly string[]): ContextField => ({
  type: "string",
  nullable,
  values,
});
const num: ContextField = { type: "number", nullable: true };

/** Every path a `when` filter may name. Job fields may also be named without `job.`. */
export const HOOK_CONTEXT_FIELDS: Readonly<Record<string, ContextField>> = {
  event: str(false, TERMINAL_STATUSES),
  fleet: str(),
  agent: str(),
  working_directory: str(),
  job: { type: "object", nullable: false },
  "job.id": str(),
  "job.agent": str(),
  "job.schedule": str(true),
  "job.trigger_type": str(false, TRIGGER_TYPES),
  "job.status": str(false, TERMINAL_STATUSES),
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
};
