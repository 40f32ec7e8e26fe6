export { type WakeCapture, WakeCaptureStream } from "./capture.js";
export { claudeTimezone, cronWakeProblem, nextCronFire } from "./plan.js";
export { DEFAULT_WAKES, MAX_WAKE_PROMPT_CHARS, recordWake, type WakeRecordContext } from "./record.js";
export { WakeScheduler, type WakeSchedulerOptions } from "./wake-scheduler.js";
