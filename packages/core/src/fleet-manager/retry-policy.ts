import type { ResolvedAgent, RetryConfig } from "../config/index.js";
import type { JobRecord } from "../state/index.js";
import { ownValue } from "../util/own.js";

/**
 * claude's classes of API failure (the assistant message's `error`) that a later attempt may not
 * meet again: an overloaded or failing server, a rate limit, a lost connection (server_error).
 * Authentication, billing and invalid requests fail the same way every time.
 */
const TRANSIENT_API_ERRORS: ReadonlySet<string> = new Set(["server_error", "overloaded", "rate_limit"]);

/** The retry settings for a job: its schedule's, else its agent's. */
export function retryPolicyFor(
  agent: ResolvedAgent,
  schedule: string | null | undefined,
): RetryConfig | undefined {
  const own = schedule ? ownValue(agent.schedules, schedule)?.retry : undefined;
  return own ?? agent.retry;
}

/** Whether running the job again could end differently: transient API errors and timeouts only. */
export function isRetryable(job: JobRecord): boolean {
  if (job.status === "timed_out") return true;
  return (
    job.status === "failed" &&
    job.exitReason === "api_error" &&
    job.apiErrorKind !== null &&
    TRANSIENT_API_ERRORS.has(job.apiErrorKind)
  );
}

/** The wait before attempt `attempt` (2, 3, ...): `backoff`, doubled for each later attempt, capped. */
export function backoffMs(policy: RetryConfig, attempt: number): number {
  return Math.min(policy.max_backoff, policy.backoff * 2 ** Math.max(0, attempt - 2));
}

export interface PlannedRetry {
  /** The attempt number the retry will carry. */
  readonly attempt: number;
  /** The first job of the chain. */
  readonly of: string;
  readonly delayMs: number;
}

/** The next attempt for a job that just ended, or undefined when it must not be retried. */
export function planRetry(job: JobRecord, policy: RetryConfig | undefined): PlannedRetry | undefined {
  if (!policy || job.attempt >= policy.attempts || !isRetryable(job)) return undefined;
  const attempt = job.attempt + 1;
  return { attempt, of: job.retryOf ?? job.id, delayMs: backoffMs(policy, attempt) };
}
