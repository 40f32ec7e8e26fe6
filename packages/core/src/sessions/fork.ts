import type { ResolvedAgent } from "../config/index.js";
import type { SessionRequest } from "../runner/session-policy.js";
import { isTerminalStatus, type StateManager } from "../state/index.js";
import { SessionError } from "./errors.js";
import type { TranscriptPlace } from "./place.js";
import { findTranscript, projectDirs, projectSlug } from "./transcripts.js";

export interface ForkPlan {
  readonly session: Extract<SessionRequest, { mode: "resume" }>;
  readonly forkedFrom: string;
}

/**
 * Checks that `jobId`'s session can be forked by `agent` and says how: the new job resumes that
 * session with forking, so claude copies the conversation into a new session id and never writes
 * to the original transcript.
 */
export function planFork(
  state: StateManager,
  agent: ResolvedAgent,
  jobId: string,
  place: TranscriptPlace,
): ForkPlan {
  const job = state.jobs.require(jobId);
  if (job.agent !== agent.name) {
    throw new SessionError(
      "SESSION_JOB_OF_OTHER_AGENT",
      `job ${job.id} belongs to agent ${job.agent}, not ${agent.name}; fork it as its own agent: herdctl trigger ${job.agent} --fork ${job.id}`,
    );
  }
  if (!isTerminalStatus(job.status)) {
    throw new SessionError(
      "SESSION_JOB_ACTIVE",
      `job ${job.id} is still ${job.status}; a session can be forked once its job has ended. ` +
        `Wait for it (herdctl logs -f --job ${job.id}) or cancel it (herdctl cancel ${job.id}), then fork`,
    );
  }
  if (!job.sessionId) {
    throw new SessionError(
      "SESSION_JOB_HAS_NO_SESSION",
      `job ${job.id} has no session to fork (it ended before claude started one); start a new job instead: herdctl trigger ${agent.name}`,
    );
  }
  if (job.docker !== place.docker) {
    const ran = job.docker ? "in Docker" : "on the host";
    const runs = place.docker ? "in Docker" : "on the host";
    throw new SessionError(
      "SESSION_PLACE_CHANGED",
      `job ${job.id} ran ${ran} and agent ${agent.name} now runs ${runs}; claude keeps those conversations apart, so session ${job.sessionId} cannot be forked here. Start a new job instead`,
    );
  }
  if (!findTranscript(place.configDir, place.cwd, job.sessionId)) {
    const where =
      projectDirs(place.configDir, place.cwd)[0] ?? `${place.configDir}/projects/${projectSlug(place.cwd)}`;
    throw new SessionError(
      "SESSION_TRANSCRIPT_NOT_FOUND",
      `the conversation of job ${job.id} (session ${job.sessionId}) is not in ${where}, so claude cannot fork it: ` +
        "it was deleted, or the agent's working directory or CLAUDE_CONFIG_DIR changed since. Start a new job instead",
    );
  }
  return { session: { mode: "resume", sessionId: job.sessionId, fork: true }, forkedFrom: job.id };
}
