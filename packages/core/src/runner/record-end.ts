import { setTimeout as sleep } from "node:timers/promises";
import { isTerminalStatus, type JobRecord, type StateManager } from "../state/index.js";

/** The first wait before recording a job's end again, and the longest (doubling in between). */
const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 30_000;

/**
 * Records a job's end, and when the state database cannot be reached (STATE_UNREACHABLE: a
 * PostgreSQL server down or cut off) keeps the outcome here and tries again with backoff until it
 * answers, instead of dropping it: the job ran, and its record must say how it ended. The event
 * loop is free between tries. A try whose fate was unknown may have committed, so a retry first
 * reads the job: already ended means the earlier try landed.
 */
export async function recordJobEnd(
  state: StateManager,
  jobId: string,
  finish: () => JobRecord,
  warn: ((message: string) => void) | undefined,
): Promise<JobRecord> {
  for (let attempt = 0, delay = FIRST_RETRY_MS; ; attempt++, delay = Math.min(delay * 2, LONGEST_RETRY_MS)) {
    try {
      if (attempt > 0) {
        const current = state.jobs.require(jobId);
        if (isTerminalStatus(current.status)) return current;
      }
      return finish();
    } catch (error) {
      if ((error as { code?: unknown }).code !== "STATE_UNREACHABLE") throw error;
      warn?.(
        `job ${jobId}: its end could not be recorded (${(error as Error).message}); kept, trying again in ${delay / 1000} s`,
      );
      await sleep(delay);
    }
  }
}
