// The shapes the server's API returns: @herdctl/core's own types (type-only: nothing of core
// reaches the browser bundle).
import type { FleetStatus, JobRecord } from "@herdctl/core";

export type { AgentStatus, ChatMessageRecord, ChatRecord, ChatSettings, ScheduleStatus } from "@herdctl/core";
export type { ApprovalRecord, JobRef, UsageReport } from "@herdctl/core/internal";

export type FleetInfo = Omit<FleetStatus, "agents">;

/** A job as the API lists it; the prompt is left out of live updates. */
export type Job = Omit<JobRecord, "prompt"> & { prompt?: string };

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

export const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted", "skipped"]);
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
];
