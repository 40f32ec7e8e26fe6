import type { EgressEntry } from "../proxy/egress-log.js";
import type { JobStatus, TerminalJobStatus } from "./job-status.js";

export const TRIGGER_TYPES = ["manual", "schedule", "webhook", "web", "resume", "wake", "chat"] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const RUNTIME_KINDS = ["sdk", "cli"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** Why a job ended, recorded where the end was detected (never parsed back out of `error`). */
export type ExitReason =
  | "success"
  | "error"
  | "api_error"
  | "timeout"
  | "inactivity"
  | "cancelled"
  | "interrupted"
  | "no_result"
  | "max_turns"
  | "budget"
  /** The schedule's gate said there was no work (skipped) or failed (failed). */
  | "gate";

/** Per-model counters as the runtime reports them (e.g. inputTokens, costUSD). */
export type ModelUsage = Readonly<Record<string, number>>;

/**
 * Who a job's processes are, in a form that survives the daemon: the process group (and session)
 * the host launcher gives claude, plus when its leader started in this boot. A pid alone is not
 * an identity: after a crash it may belong to someone else by the time we look.
 */
export interface ProcessGroupIdentity {
  /** The leader's pid, which is also the group and session id (the launcher calls setsid). */
  readonly pgid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot when the leader started. */
  readonly startTicks: number;
  /** /proc/sys/kernel/random/boot_id; start ticks only compare within one boot. */
  readonly bootId: string;
}

export interface HookError {
  readonly hook: string;
  readonly message: string;
}

/**
 * A tool call that could not do its work for lack of permission: claude refused it (a permission
 * rule or mode), or the system did (EACCES, EROFS, "permission denied"). The job's status stays
 * what claude reported; these make the refusals visible.
 */
export interface ToolFailure {
  readonly tool: string;
  /** What the call aimed at (a path, a command), shortened; null when it named nothing. */
  readonly target: string | null;
  /** "denied" (claude's permission check) or the system's error code, e.g. "EACCES". */
  readonly reason: string;
}

/** One job as the state store records it; timestamps are ISO-8601 UTC, null until known. */
export interface JobRecord {
  readonly id: string;
  readonly agent: string;
  readonly schedule: string | null;
  readonly triggerType: TriggerType;
  readonly status: JobStatus;
  readonly exitReason: ExitReason | null;
  readonly error: string | null;
  readonly prompt: string;
  readonly summary: string | null;
  readonly sessionId: string | null;
  /** The job whose session this one continued. */
  readonly resumedFrom: string | null;
  /** The finished job whose session this one branched (`trigger --fork`). */
  readonly forkedFrom: string | null;
  readonly runtime: RuntimeKind;
  readonly docker: boolean;
  /** Ran against herdctl's stand-in (`--offline`): nothing was billed, so no cost is recorded. */
  readonly offline: boolean;
  readonly pid: number | null;
  /** Who the job's host processes are, so recovery after a crash kills them and nothing else. */
  readonly processGroup: ProcessGroupIdentity | null;
  readonly containerId: string | null;
  /** ISO-8601 UTC, like every timestamp in the state store. */
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly numTurns: number | null;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly cacheReadTokens: number | null;
  readonly cacheCreationTokens: number | null;
  readonly costUsd: number | null;
  readonly usage: Readonly<Record<string, ModelUsage>> | null;
  readonly hookErrors: readonly HookError[] | null;
  /** 1 for a first run; n for the (n-1)th automatic retry. */
  readonly attempt: number;
  /** The first job of this retry chain; null for a first attempt. */
  readonly retryOf: string | null;
  /** When the next attempt of this failed job starts, while it waits for its backoff. */
  readonly nextRetryAt: string | null;
  /** claude's class of the API failure that ended the job (e.g. server_error, rate_limit). */
  readonly apiErrorKind: string | null;
  readonly toolFailures: readonly ToolFailure[] | null;
  /** What the agent wrote to its metadata file during this job (see agent-metadata.ts); redacted. */
  readonly metadata: AgentMetadata | null;
  /** What a proxy-only job reached, or was refused, through herdctl's egress proxy. */
  readonly egress: readonly EgressEntry[] | null;
  /** The worker that claimed the job (PostgreSQL fleets); null on SQLite and while queued. */
  readonly workerId: string | null;
  /** A cancel was asked for while another machine's worker ran the job; that worker stops it. */
  readonly cancelRequested: boolean;
}

/** A JSON object an agent wrote about its own run; untrusted, size-capped, secrets redacted. */
export type AgentMetadata = Readonly<Record<string, unknown>>;

export interface NewJob {
  readonly agent: string;
  readonly triggerType: TriggerType;
  readonly prompt: string;
  readonly runtime: RuntimeKind;
  /** Minted from the clock when absent. */
  readonly id?: string;
  readonly schedule?: string | null;
  readonly docker?: boolean;
  readonly offline?: boolean;
  readonly sessionId?: string | null;
  readonly resumedFrom?: string | null;
  readonly forkedFrom?: string | null;
  readonly attempt?: number;
  readonly retryOf?: string | null;
  /** PostgreSQL: the daemon that runs the job itself (not through the workers' queue). */
  readonly workerId?: string | null;
}

/** Fields that may change at any time, even after the job has finished (e.g. hook errors). */
export interface JobPatch {
  readonly pid?: number | null;
  readonly processGroup?: ProcessGroupIdentity | null;
  readonly containerId?: string | null;
  readonly sessionId?: string | null;
  readonly summary?: string | null;
  readonly error?: string | null;
  readonly numTurns?: number | null;
  readonly inputTokens?: number | null;
  readonly outputTokens?: number | null;
  readonly cacheReadTokens?: number | null;
  readonly cacheCreationTokens?: number | null;
  readonly costUsd?: number | null;
  readonly usage?: Readonly<Record<string, ModelUsage>> | null;
  readonly hookErrors?: readonly HookError[] | null;
  readonly nextRetryAt?: string | null;
  readonly apiErrorKind?: string | null;
  readonly toolFailures?: readonly ToolFailure[] | null;
  readonly metadata?: AgentMetadata | null;
  readonly egress?: readonly EgressEntry[] | null;
  readonly workerId?: string | null;
}

export interface JobStart {
  readonly pid?: number | null;
  readonly containerId?: string | null;
  readonly sessionId?: string | null;
}

export interface JobOutcome extends JobPatch {
  readonly status: TerminalJobStatus;
  readonly exitReason: ExitReason;
}

export interface JobRow {
  id: string;
  agent: string;
  schedule: string | null;
  trigger_type: string;
  status: string;
  exit_reason: string | null;
  error: string | null;
  prompt: string;
  summary: string | null;
  session_id: string | null;
  resumed_from: string | null;
  forked_from: string | null;
  runtime: string;
  docker: number;
  offline: number;
  pid: number | null;
  process_group: string | null;
  container_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  num_turns: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_creation_tokens: number | null;
  cost_usd: number | null;
  usage_json: string | null;
  hook_errors: string | null;
  attempt: number;
  retry_of: string | null;
  next_retry_at: string | null;
  api_error_kind: string | null;
  tool_failures: string | null;
  metadata_json: string | null;
  egress_json: string | null;
  worker_id: string | null;
  cancel_requested: number;
}

function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

export function rowToJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    agent: row.agent,
    schedule: row.schedule,
    triggerType: row.trigger_type as TriggerType,
    status: row.status as JobStatus,
    exitReason: row.exit_reason as ExitReason | null,
    error: row.error,
    prompt: row.prompt,
    summary: row.summary,
    sessionId: row.session_id,
    resumedFrom: row.resumed_from,
    forkedFrom: row.forked_from,
    runtime: row.runtime as RuntimeKind,
    docker: row.docker === 1,
    offline: row.offline === 1,
    pid: row.pid,
    processGroup: parseJson(row.process_group),
    containerId: row.container_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    numTurns: row.num_turns,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheCreationTokens: row.cache_creation_tokens,
    costUsd: row.cost_usd,
    usage: parseJson(row.usage_json),
    hookErrors: parseJson(row.hook_errors),
    attempt: row.attempt,
    retryOf: row.retry_of,
    nextRetryAt: row.next_retry_at,
    apiErrorKind: row.api_error_kind,
    toolFailures: parseJson(row.tool_failures),
    metadata: parseJson(row.metadata_json),
    egress: parseJson(row.egress_json),
    workerId: row.worker_id ?? null,
    cancelRequested: row.cancel_requested === 1,
  };
}

type Encoded = string | number | null;

/** JobPatch key → column, with how its value is stored. */
export const PATCH_COLUMNS: Readonly<Record<keyof JobPatch, [string, (value: never) => Encoded]>> = {
  pid: ["pid", (v: number | null) => v],
  processGroup: ["process_group", (v: object | null) => (v === null ? null : JSON.stringify(v))],
  containerId: ["container_id", (v: string | null) => v],
  sessionId: ["session_id", (v: string | null) => v],
  summary: ["summary", (v: string | null) => v],
  error: ["error", (v: string | null) => v],
  numTurns: ["num_turns", (v: number | null) => v],
  inputTokens: ["input_tokens", (v: number | null) => v],
  outputTokens: ["output_tokens", (v: number | null) => v],
  cacheReadTokens: ["cache_read_tokens", (v: number | null) => v],
  cacheCreationTokens: ["cache_creation_tokens", (v: number | null) => v],
  costUsd: ["cost_usd", (v: number | null) => v],
  usage: ["usage_json", (v: object | null) => (v === null ? null : JSON.stringify(v))],
  hookErrors: ["hook_errors", (v: object | null) => (v === null ? null : JSON.stringify(v))],
  nextRetryAt: ["next_retry_at", (v: string | null) => v],
  apiErrorKind: ["api_error_kind", (v: string | null) => v],
  toolFailures: ["tool_failures", (v: object | null) => (v === null ? null : JSON.stringify(v))],
  metadata: ["metadata_json", (v: object | null) => (v === null ? null : JSON.stringify(v))],
  egress: ["egress_json", (v: object | null) => (v === null ? null : JSON.stringify(v))],
  workerId: ["worker_id", (v: string | null) => v],
};

/** The record as it reads after `patch` is stored, without reading it back. */
export function applyPatch(job: JobRecord, patch: JobPatch): JobRecord {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(PATCH_COLUMNS) as (keyof JobPatch)[]) {
    const value = patch[key];
    if (value === undefined) continue;
    // Stored as JSON text, so the record holds a copy, as a read would.
    changed[key] = value !== null && typeof value === "object" ? JSON.parse(JSON.stringify(value)) : value;
  }
  return { ...job, ...changed };
}

/** Columns and values for the keys a patch actually sets; `undefined` means "leave as is". */
export function patchAssignments(patch: JobPatch): { columns: string[]; values: Encoded[] } {
  const columns: string[] = [];
  const values: Encoded[] = [];
  for (const [key, [column, encode]] of Object.entries(PATCH_COLUMNS)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) continue;
    columns.push(column);
    values.push((encode as (v: unknown) => Encoded)(value));
  }
  return { columns, values };
}
