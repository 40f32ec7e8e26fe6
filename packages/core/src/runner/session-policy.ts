import { scheduleSessionPolicy } from "../config/schedule-session.js";
import type { Schedule } from "../config/schema.js";
import type { SessionPointer } from "../state/index.js";

export type SessionRequest =
  /**
   * Continue the agent's last good session when it is still valid (manual triggers). With
   * `maxContextTokens`, a session whose last job sent more than that starts over instead.
   */
  | { mode: "continue"; maxContextTokens?: number }
  /** Always start a new session (scheduled jobs, `--fresh`); `notice` says why in the job's output. */
  | { mode: "fresh"; notice?: string }
  /** Continue exactly this session (`--resume ID`). */
  | { mode: "resume"; sessionId: string; fork?: boolean };

export interface SessionChoice {
  resume?: string;
  fork?: boolean;
  /** Why a saved session was not used, for the job log; undefined when nothing needs saying. */
  notice?: string;
}

/** How a fire of this schedule picks its session (`session` or `resume_session`). */
export function scheduleSessionRequest(
  schedule: Pick<Schedule, "session" | "resume_session">,
): SessionRequest {
  const policy = scheduleSessionPolicy(schedule);
  if (policy.mode === "fresh") return { mode: "fresh" };
  return policy.maxContextTokens === undefined
    ? { mode: "continue" }
    : { mode: "continue", maxContextTokens: policy.maxContextTokens };
}

/** The input a session's last job sent, cache reads and writes included: what a resume re-sends. */
export function contextTokensOf(job: {
  inputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
}): number {
  return (job.inputTokens ?? 0) + (job.cacheReadTokens ?? 0) + (job.cacheCreationTokens ?? 0);
}

export const DEFAULT_SESSION_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/**
 * Which session a job runs in. A saved session is continued only while it is fresh and was made
 * in the same place: another working directory, runtime or isolation mode would resume a
 * transcript claude cannot find (Docker transcripts live apart from the host's).
 */
export function chooseSession(
  request: SessionRequest,
  saved: SessionPointer | undefined,
  current: {
    workingDirectory: string;
    runtime: string;
    docker: boolean;
    timeoutMs?: number;
    now: Date;
    /** The saved session's size (see contextTokensOf); asked only when a limit applies. */
    contextTokens?: (sessionId: string) => number | undefined;
    /** The agent keeps memory: a rotation hands over through it, and the notice says so. */
    memory?: boolean;
  },
): SessionChoice {
  if (request.mode === "fresh") return request.notice ? { notice: request.notice } : {};
  if (request.mode === "resume") return { resume: request.sessionId, fork: request.fork };
  if (!saved) return {};
  const age = current.now.getTime() - Date.parse(saved.lastUsedAt);
  const timeoutMs = current.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  if (age > timeoutMs) {
    return {
      notice: `session ${saved.sessionId} expired (unused for longer than the session timeout); starting a new session`,
    };
  }
  if (saved.docker !== current.docker) {
    const from = saved.docker ? "in Docker" : "on the host";
    const to = current.docker ? "in Docker" : "on the host";
    return {
      notice: `session ${saved.sessionId} was made ${from} and this job runs ${to}; starting a new session`,
    };
  }
  if (saved.runtime !== current.runtime) {
    return {
      notice: `session ${saved.sessionId} was made by the ${saved.runtime} runtime; starting a new session`,
    };
  }
  if (saved.workingDirectory !== current.workingDirectory) {
    return {
      notice: `session ${saved.sessionId} was made in ${saved.workingDirectory}; the working directory changed, starting a new session`,
    };
  }
  const limit = request.maxContextTokens;
  const size = limit === undefined ? undefined : current.contextTokens?.(saved.sessionId);
  if (limit !== undefined && size !== undefined && size > limit) {
    const handover = current.memory ? ", handing over through memory" : "";
    return {
      notice: `session ${saved.sessionId} had ${size} tokens of context, over max_context_tokens ${limit}; starting a new session${handover}`,
    };
  }
  return { resume: saved.sessionId };
}
