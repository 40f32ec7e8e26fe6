/**
 * The part of a schedule the scheduler reads. The validated config type (`Schedule` from config/)
 * is assignable to it; durations are milliseconds.
 */
export interface ScheduleConfig {
  readonly type: "interval" | "cron" | "webhook";
  readonly interval?: number;
  readonly cron?: string;
  readonly timezone?: string;
  readonly enabled?: boolean;
  readonly start_delay?: number;
  readonly catch_up?: "latest" | "none";
  readonly catch_up_window?: number;
  readonly overlap?: "skip" | "queue" | "replace";
  readonly jitter?: number;
}

/** What was remembered about a schedule before this process started (the `schedules` table). */
export interface PersistedScheduleState {
  /** When the last run started. */
  readonly lastRunAt?: Date;
  /** The fire that was planned when the previous process stopped; a past value means it was missed. */
  readonly nextRunAt?: Date;
  /** `herdctl schedule enable|disable`; absent means "as configured". */
  readonly enabledOverride?: boolean;
}

export type FireReason = "due" | "catch_up" | "queued";
/** "budget": the fleet's or the agent's budget was spent (the fleet decides that, not the scheduler). */
export type SkipReason = "overlap" | "missed" | "disabled" | "budget" | "usage_limit";

export interface ScheduleFire {
  readonly agent: string;
  readonly schedule: string;
  /** The nominal time the schedule called for; jitter and lateness are not included. */
  readonly scheduledAt: Date;
  readonly reason: FireReason;
}

export interface ScheduleSkip {
  readonly agent: string;
  readonly schedule: string;
  readonly scheduledAt: Date;
  readonly reason: SkipReason;
  /** Said with the skip where the reason alone is not enough (which budget, until when). */
  readonly detail?: string;
}

export interface ScheduleSnapshot {
  readonly agent: string;
  readonly schedule: string;
  readonly type: ScheduleConfig["type"];
  readonly enabled: boolean;
  /** Nominal time of the next automatic fire; absent while disabled, for webhooks, or while an
   * interval schedule waits for its run to end. */
  readonly nextRunAt?: Date;
  readonly lastRunAt?: Date;
  /** A run of this schedule is going, or was fired and has not yet been reported started or ended. */
  readonly running: boolean;
  /** A fire is queued behind the running one (`overlap: queue`). */
  readonly pending: boolean;
}
