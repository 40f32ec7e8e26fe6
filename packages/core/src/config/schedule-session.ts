import type { Schedule } from "./schema.js";

export interface ScheduleSessionPolicy {
  readonly mode: "continue" | "fresh";
  readonly maxContextTokens?: number;
}

/**
 * A schedule's session policy from either spelling: `session` (mode, max_context_tokens) or the
 * older `resume_session`. The schema has already refused the two disagreeing; fresh when neither is set.
 */
export function scheduleSessionPolicy(
  schedule: Pick<Schedule, "session" | "resume_session">,
): ScheduleSessionPolicy {
  const mode = schedule.session?.mode ?? (schedule.resume_session ? "continue" : "fresh");
  const max = schedule.session?.max_context_tokens;
  return mode === "continue" && max !== undefined ? { mode, maxContextTokens: max } : { mode };
}
