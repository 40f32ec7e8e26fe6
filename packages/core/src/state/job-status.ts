import { InvalidTransitionError } from "./errors.js";

export const JOB_STATUSES = [
  "queued",
  "running",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
  "skipped",
  "waiting_approval",
] as const;
/** Where a job stands: queued, running (or waiting for an approval), then one terminal status. */
export type JobStatus = (typeof JOB_STATUSES)[number];
export type ActiveJobStatus = "queued" | "running" | "waiting_approval";
export type TerminalJobStatus = Exclude<JobStatus, ActiveJobStatus>;

const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  queued: ["running", "cancelled", "interrupted"],
  // A gate found no work: the model never ran.
  running: ["completed", "failed", "cancelled", "timed_out", "interrupted", "skipped", "waiting_approval"],
  // A tool call waits for a person; the job is still live and ends the ways a running one does.
  waiting_approval: ["running", "completed", "failed", "cancelled", "timed_out", "interrupted"],
  completed: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  interrupted: [],
  skipped: [],
};

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === "string" && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isTerminalStatus(status: JobStatus): status is TerminalJobStatus {
  return NEXT[status].length === 0;
}

export function allowedNextStatuses(status: JobStatus): readonly JobStatus[] {
  return NEXT[status];
}

export function assertTransition(jobId: string, from: JobStatus, to: JobStatus): void {
  if (!NEXT[from].includes(to)) throw new InvalidTransitionError(jobId, from, to, NEXT[from]);
}
