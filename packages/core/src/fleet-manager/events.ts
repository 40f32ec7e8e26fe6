import { EventEmitter } from "node:events";
import type { ChatRecord } from "../chat/types.js";
import type { HerdctlNotice } from "../runner/job-executor.js";
import type { RuntimeMessage } from "../runner/runtime/interface.js";
import type { BudgetStatus } from "../spend/budget.js";
import type { ApprovalRecord, JobRecord } from "../state/index.js";

/**
 * One streamed message of a job: the Agent SDK's message union (`type` "system", "assistant",
 * "user", "result", …), whichever runtime ran claude, or a notice herdctl itself added.
 */
export type JobMessage = RuntimeMessage | HerdctlNotice;

/** Payload of `job:output`. */
export interface JobOutputEvent {
  jobId: string;
  agent: string;
  /** The message as written to the job's output file (already redacted). */
  message: JobMessage;
}

/** Payload of `schedule:fired`: a schedule started a job. */
export interface ScheduleFiredEvent {
  agent: string;
  schedule: string;
  scheduledAt: string;
  jobId: string;
  reason: "due" | "catch_up" | "queued";
}

/** Payload of `schedule:skipped`: a fire that started no job, and why. */
export interface ScheduleSkippedEvent {
  agent: string;
  schedule: string;
  scheduledAt: string;
  reason: "overlap" | "missed" | "disabled" | "capacity" | "budget" | "usage_limit";
  /** Which budget was spent, or which usage limit holds, and when it resets. */
  detail?: string;
}

/** Payload of `config:reloaded` (and what runtime agent changes return): agent names by change. */
export interface ConfigReloadedEvent {
  added: string[];
  removed: string[];
  updated: string[];
}

/** Payload of `budget:exceeded`. */
export interface BudgetExceededEvent {
  budget: BudgetStatus;
  /** The job whose cost reached it. */
  jobId: string;
}

/** Payload of `usage:paused`: a credential's usage limit was reached; its work waits until `until`. */
export interface UsagePausedEvent {
  /** The credential's label (kind and hash prefix), never the credential. */
  credential: string;
  until: string;
  jobId: string;
  agents: string[];
}

/** Every event the fleet emits, with its payload; `emit` and `on` are checked against it. */
export interface FleetEvents {
  "job:queued": [JobRecord];
  "job:started": [JobRecord];
  "job:output": [JobOutputEvent];
  /** Also for skipped jobs (a gate found no work); the record's status tells them apart. */
  "job:completed": [JobRecord];
  /** Also for timed_out jobs; the record's status tells them apart. */
  "job:failed": [JobRecord];
  "job:cancelled": [JobRecord];
  "job:interrupted": [JobRecord];
  "schedule:fired": [ScheduleFiredEvent];
  "schedule:skipped": [ScheduleSkippedEvent];
  "config:reloaded": [ConfigReloadedEvent];
  "config:rejected": [{ message: string }];
  /** A chat was created, renamed, sent a message, or a turn of it ended. */
  "chat:updated": [{ chat: ChatRecord }];
  "chat:deleted": [{ id: string }];
  "fleet:started": [{ agents: number; pid: number }];
  /** A job's cost took the fleet or its agent to a budget; once per budget window. */
  "budget:exceeded": [BudgetExceededEvent];
  /** A usage limit was reached (or met again by the probe after its reset). */
  "usage:paused": [UsagePausedEvent];
  /** A usage limit lifted: the probe met none, or no run was waiting for it. */
  "usage:resumed": [{ credential: string; probeJobId: string | null }];
  /** A tool call waits for a person (or, after a restart, waits again). */
  "approval:requested": [ApprovalRecord];
  /** A person, or the timeout, decided a request. */
  "approval:decided": [ApprovalRecord];
  "fleet:stopping": [{ reason: string }];
  "fleet:stopped": [{ reason: string }];
}

/** The name of a fleet event: "job:started", "schedule:fired", … */
export type FleetEventName = keyof FleetEvents;

/** A Node EventEmitter typed by FleetEvents: `fleet.events.on("job:completed", (job) => …)`. */
export class FleetEventBus extends EventEmitter<FleetEvents> {
  constructor() {
    super();
    // Every dashboard socket and log follower subscribes; the default warning at 10 is noise.
    this.setMaxListeners(0);
  }
}

/** The job event that announces a terminal status. */
export function endEventFor(
  job: JobRecord,
): "job:completed" | "job:failed" | "job:cancelled" | "job:interrupted" {
  switch (job.status) {
    case "completed":
    case "skipped":
      return "job:completed";
    case "cancelled":
      return "job:cancelled";
    case "interrupted":
      return "job:interrupted";
    default:
      return "job:failed";
  }
}
