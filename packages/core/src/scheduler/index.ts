export { type Clock, FakeClock, systemClock, type TimerHandle } from "./clock.js";
export {
  InvalidScheduleError,
  ScheduleNotFoundError,
  SchedulerError,
  type SchedulerErrorCode,
} from "./errors.js";
export {
  DEFAULT_CATCH_UP_WINDOW_MS,
  jitterMs,
  type MissedFire,
  type MissedFireInput,
  missedFire,
  type NextRunInput,
  nextRunAt,
} from "./next-run.js";
export { Scheduler, type SchedulerOptions } from "./scheduler.js";
export type {
  FireReason,
  PersistedScheduleState,
  ScheduleConfig,
  ScheduleFire,
  ScheduleSkip,
  ScheduleSnapshot,
  SkipReason,
} from "./types.js";
export { scheduleProblem } from "./validate.js";
