/** Why a run ended without a result. Set where the ending is detected, never parsed from text. */
export type RuntimeFailureReason =
  | "cancelled"
  | "timeout"
  | "inactivity"
  | "no_result"
  | "spawn_failed"
  | "claude_missing"
  | "invalid_option"
  | "unreachable"
  | "proxy_down";

export interface RuntimeFailureDetails {
  reason: RuntimeFailureReason;
  runtime: string;
  exitCode?: number | null;
  signal?: string | null;
  stderrTail?: string;
  timeoutMs?: number;
  cause?: unknown;
  detail?: string;
}

export class RuntimeError extends Error {
  readonly code = "RUNTIME_FAILED";
  readonly reason: RuntimeFailureReason;
  readonly details: RuntimeFailureDetails;

  constructor(details: RuntimeFailureDetails) {
    super(describeRuntimeFailure(details), { cause: details.cause });
    this.name = "RuntimeError";
    this.reason = details.reason;
    this.details = details;
  }
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return "?";
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function exitText(d: RuntimeFailureDetails): string {
  if (d.signal) return `was killed by ${d.signal}`;
  if (d.exitCode === null || d.exitCode === undefined) return "ended";
  return `exited with code ${d.exitCode}`;
}

/** Every wording for a failed run lives here, so messages stay consistent and testable. */
export function describeRuntimeFailure(d: RuntimeFailureDetails): string {
  const tail = d.stderrTail?.trim() ? `; stderr: ${d.stderrTail.trim()}` : "";
  switch (d.reason) {
    case "cancelled":
      return d.detail === "forced"
        ? `claude (${d.runtime} runtime) was cancelled with --force and killed at once`
        : `claude (${d.runtime} runtime) was cancelled`;
    case "timeout":
      return `claude (${d.runtime} runtime) timed out after ${seconds(d.timeoutMs)}: the agent's timeout ended it`;
    case "inactivity":
      return `claude (${d.runtime} runtime) produced no output for ${seconds(d.timeoutMs)}: the inactivity watchdog ended it`;
    case "no_result":
      return `claude (${d.runtime} runtime) ${exitText(d)} without a result${tail}`;
    case "spawn_failed":
      return `could not start claude (${d.runtime} runtime): ${d.detail ?? "unknown error"}`;
    case "claude_missing":
      return `claude was not found${d.detail ? ` (${d.detail})` : ""}: install it with "npm install -g @anthropic-ai/claude-code" or set defaults.claude_path in herdctl.yaml`;
    case "unreachable":
      return `claude in the container cannot reach the model: ${d.detail ?? ""}`;
    case "proxy_down":
      return `herdctl's credential proxy stopped while claude (${d.runtime} runtime) ran in the container, so it could not reach the model; the job was ended. Restart herdctl and run it again`;
    case "invalid_option":
      return `the ${d.runtime} runtime cannot run this agent: ${d.detail ?? ""}`;
  }
}
