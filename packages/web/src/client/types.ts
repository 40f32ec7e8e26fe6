// The shapes the server's API returns (see @herdctl/core's FleetStatus and JobRecord).

export interface JobRef {
  id: string;
  agent: string;
  status: string;
  schedule: string | null;
  triggerType: string;
  createdAt: string;
  startedAt: string | null;
}

export interface ScheduleStatus {
  agent: string;
  name: string;
  type: "interval" | "cron" | "webhook";
  when: string;
  enabled: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastStatus: string | null;
  lastError: string | null;
  running: boolean;
  pending: boolean;
}

export interface AgentStatus {
  name: string;
  description: string | null;
  runtime: string;
  docker: boolean;
  model: string | null;
  maxConcurrent: number;
  workingDirectory: string;
  running: JobRef[];
  queued: JobRef[];
  schedules: ScheduleStatus[];
  lastJob: {
    id: string;
    status: string;
    finishedAt: string | null;
    summary: string | null;
    error: string | null;
  } | null;
}

export interface FleetInfo {
  fleet: string;
  description: string | null;
  state: string;
  uptimeMs: number;
  offline: boolean;
  counts: { agents: number; running: number; queued: number };
}

export interface Job {
  id: string;
  agent: string;
  schedule: string | null;
  triggerType: string;
  status: string;
  exitReason: string | null;
  error: string | null;
  prompt?: string;
  summary: string | null;
  sessionId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  numTurns: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
  costUsd: number | null;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

export const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted"]);
export const JOB_STATUSES = [
  "queued",
  "running",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
];
