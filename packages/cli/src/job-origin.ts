import type { JobRecord, StateManager } from "@herdctl/core/internal";

/** What a job continued: an interrupted job it re-ran, or the earlier job whose session it resumed. */
export interface JobOrigin {
  readonly jobId: string;
  readonly reason: "interrupted" | "session";
}

const PAGE = 200;

/**
 * Finds what `job` continued. A job that resumed a session carries that session's id, so the
 * latest earlier job of the agent with the same id is the one it picked up from. A fork gets a
 * new session id and so has no origin here.
 */
export function jobOrigin(state: StateManager, job: JobRecord): JobOrigin | null {
  if (job.resumedFrom) return { jobId: job.resumedFrom, reason: "interrupted" };
  if (!job.sessionId) return null;
  let before: string | null = job.id;
  while (before) {
    const page = state.jobs.list({ agent: job.agent, before, limit: PAGE });
    const earlier = page.jobs.find((j) => j.sessionId === job.sessionId);
    if (earlier) return { jobId: earlier.id, reason: "session" };
    before = page.nextCursor;
  }
  return null;
}

/** "job-… (its session …)" for the job view. */
export function describeOrigin(origin: JobOrigin | null, job: JobRecord): string {
  if (!origin) return "-";
  return origin.reason === "interrupted"
    ? `${origin.jobId} (interrupted; run again)`
    : `${origin.jobId} (continued its session ${job.sessionId})`;
}
