/**
 * Every failure of the scheduler, with a stable `code` and a message that says what to do. All
 * wording lives here so tests can assert exact messages.
 */
export type SchedulerErrorCode = "SCHEDULER_INVALID_SCHEDULE" | "SCHEDULER_SCHEDULE_NOT_FOUND";

export class SchedulerError extends Error {
  readonly code: SchedulerErrorCode;

  constructor(code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A schedule the config loader should have rejected reached the scheduler (e.g. built by hand). */
export class InvalidScheduleError extends SchedulerError {
  constructor(
    readonly agent: string,
    readonly schedule: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      "SCHEDULER_INVALID_SCHEDULE",
      `Schedule "${schedule}" of agent "${agent}" cannot be scheduled: ${problem}. ` +
        `Fix the schedule in the agent's configuration and reload.`,
      options,
    );
  }
}

export class ScheduleNotFoundError extends SchedulerError {
  constructor(
    readonly agent: string,
    readonly schedule: string,
    readonly available: readonly string[],
  ) {
    const known =
      available.length === 0 ? `agent "${agent}" has no schedules` : `available: ${available.join(", ")}`;
    super("SCHEDULER_SCHEDULE_NOT_FOUND", `Schedule "${schedule}" of agent "${agent}" not found; ${known}.`);
  }
}
