// The shapes the server's API returns: @herdctl/core's own types (type-only: nothing of core
// reaches the browser bundle).
import type { FleetStatus, JobRecord } from "@herdctl/core";

export type { AgentStatus, JobRef, ScheduleStatus } from "@herdctl/core";

export type FleetInfo = Omit<FleetStatus, "agents">;

/** A job as the API lists it; the prompt is left out of live updates. */
export type Job = Omit<JobRecord, "prompt"> & { prompt?: string };

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

// Chats, as the contract with @herdctl/core has them until its types land on this branch.
export interface ChatRecord {
  id: string;
  agent: string;
  title: string;
  surface: "web" | "terminal" | "api" | "discord" | "slack";
  sessionId: string | null;
  createdAt: string;
  lastActiveAt: string;
  expired: boolean;
  turns: number;
  costUsd: number | null;
  lastMessage: string | null;
  runningJobId: string | null;
}
export interface ChatMessageRecord {
  id: number;
  chatId: string;
  jobId: string | null;
  role: "user" | "assistant";
  text: string;
  toolCalls: { id: string; name: string; input: unknown; result?: string; isError?: boolean }[];
  usage: { inputTokens: number; outputTokens: number } | null;
  costUsd: number | null;
  createdAt: string;
}

/** The fleet's `web.*` chat settings, as GET /api/fleet gives them. */
export interface ChatSettings {
  sessionExpiryHours: number;
  toolResults: boolean;
  messageGrouping: "separate" | "grouped";
}
