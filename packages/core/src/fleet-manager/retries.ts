import type { JobRequest } from "../runner/job-executor.js";
import type { Clock, TimerHandle } from "../scheduler/index.js";
import type { JobRecord, StateManager } from "../state/index.js";
import { planRetry, retryPolicyFor } from "./retry-policy.js";

interface PendingRetry {
  readonly job: JobRecord;
  readonly request: JobRequest;
  readonly attempt: number;
  readonly attempts: number;
  readonly at: Date;
  readonly timer: TimerHandle;
}

/** A failed job whose next attempt waits for its backoff. */
export interface RetryRef {
  /** The failed job. */
  readonly jobId: string;
  readonly agent: string;
  /** The attempt that will start, of `attempts`. */
  readonly attempt: number;
  readonly attempts: number;
  readonly at: string;
}

/**
 * Automatic retries (`retry:` of an agent or schedule): when a job ends with a transient API error
 * or a timeout, its next attempt is submitted after the backoff, as a new job linked to the first.
 * Waits run on the fleet's clock, so tests move time instead of sleeping. The new job goes through
 * admission like any other, so concurrency and queue limits hold.
 */
export class RetryScheduler {
  private readonly pending = new Map<string, PendingRetry>();
  private stopped = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      state: StateManager;
      submit: (request: JobRequest) => JobRecord;
      log: (line: string) => void;
    },
  ) {}

  /**
   * Called with a job's final record; plans its retry when the policy allows one. Returns the
   * record as it now stands (with `nextRetryAt` when a retry is planned).
   */
  jobEnded(job: JobRecord, request: JobRequest): JobRecord {
    // A chat turn is not retried behind the user's back: they see the failure and send again.
    if (this.stopped || request.triggerType === "chat") return job;
    const policy = retryPolicyFor(request.agent, request.schedule);
    const plan = planRetry(job, policy);
    if (!plan || !policy) return job;
    const at = new Date(this.deps.clock.now().getTime() + plan.delayMs);
    const updated = this.deps.state.jobs.update(job.id, { nextRetryAt: at.toISOString() });
    const timer = this.deps.clock.setTimeout(() => this.fire(job.id), plan.delayMs);
    this.pending.set(job.id, {
      job: updated,
      request: { ...request, retry: { attempt: plan.attempt, of: plan.of } },
      attempt: plan.attempt,
      attempts: policy.attempts,
      at,
      timer,
    });
    return updated;
  }

  /** Drops the planned retry of a failed job (`herdctl cancel` on it); undefined when none is planned. */
  cancel(jobId: string): JobRecord | undefined {
    const retry = this.pending.get(jobId);
    if (!retry) return undefined;
    this.drop(retry);
    return this.deps.state.jobs.require(jobId);
  }

  /** The fleet is stopping: no planned retry starts, and none is shown as still coming. */
  stop(): void {
    this.stopped = true;
    for (const retry of [...this.pending.values()]) {
      try {
        this.drop(retry);
      } catch (error) {
        this.deps.log(`could not clear the planned retry of ${retry.job.id}: ${(error as Error).message}`);
      }
    }
  }

  list(agent?: string): RetryRef[] {
    return [...this.pending.values()]
      .filter((r) => agent === undefined || r.job.agent === agent)
      .map((r) => ({
        jobId: r.job.id,
        agent: r.job.agent,
        attempt: r.attempt,
        attempts: r.attempts,
        at: r.at.toISOString(),
      }));
  }

  private drop(retry: PendingRetry): void {
    this.deps.clock.clearTimeout(retry.timer);
    this.pending.delete(retry.job.id);
    this.deps.state.jobs.update(retry.job.id, { nextRetryAt: null });
  }

  private fire(jobId: string): void {
    const retry = this.pending.get(jobId);
    if (!retry || this.stopped) return;
    this.pending.delete(jobId);
    try {
      this.deps.state.jobs.update(jobId, { nextRetryAt: null });
      const next = this.deps.submit(retry.request);
      this.deps.log(`retrying job ${jobId} as ${next.id} (attempt ${retry.attempt} of ${retry.attempts})`);
    } catch (error) {
      this.deps.log(
        `could not start attempt ${retry.attempt} of job ${jobId}: ${(error as Error).message}; no further retry`,
      );
    }
  }
}
