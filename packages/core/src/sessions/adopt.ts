import {
  chmodSync,
  chownSync,
  constants,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { ResolvedAgent } from "../config/index.js";
import { assertSessionId, type SessionPointer, type StateManager } from "../state/index.js";
import { PRIVATE_DIR, PRIVATE_FILE } from "../state/permissions.js";
import { SessionError } from "./errors.js";
import { type PlaceOptions, type TranscriptPlace, transcriptPlace } from "./place.js";
import {
  findTranscript,
  listTranscripts,
  projectDirs,
  projectSlug,
  type TranscriptInfo,
} from "./transcripts.js";

export interface AdoptionCandidates {
  /** Where the conversations were looked for. */
  readonly searched: string;
  readonly current: string | null;
  readonly sessions: readonly TranscriptInfo[];
}

export interface Adoption {
  readonly session: SessionPointer;
  /** The transcript claude will resume. */
  readonly transcript: string;
  /** Docker agents: the host transcript was copied here, into the agent's docker-sessions. */
  readonly copiedFrom: string | null;
  /** The session the agent pointed at before, if another. */
  readonly replaced: string | null;
}

/**
 * Where a conversation started by hand for this agent lives: the agent's own place for a host
 * agent; for a Docker agent, the host's claude in the same working directory (people run claude
 * on the host), from where adoption copies it in.
 */
function handPlace(agent: ResolvedAgent, options: PlaceOptions): TranscriptPlace {
  const onHost = { ...agent, docker: agent.docker ? { ...agent.docker, enabled: false } : undefined };
  return transcriptPlace(onHost, options);
}

function folderOf(place: TranscriptPlace): string {
  return (
    projectDirs(place.configDir, place.cwd)[0] ?? join(place.configDir, "projects", projectSlug(place.cwd))
  );
}

/** The conversations claude recorded in the agent's working directory, newest first. */
export function adoptionCandidates(
  state: StateManager,
  agent: ResolvedAgent,
  options: PlaceOptions,
): AdoptionCandidates {
  const place = handPlace(agent, options);
  return {
    searched: folderOf(place),
    current: state.sessions.get(agent.name)?.sessionId ?? null,
    sessions: listTranscripts(place.configDir, place.cwd),
  };
}

/**
 * Points the agent at a conversation started outside herdctl, so its next job that continues a
 * session (a manual trigger, a schedule with resume_session) resumes it. A Docker agent cannot see
 * the host's ~/.claude, so the transcript is copied into its docker-sessions folder first; the
 * host's copy is never changed.
 */
export function adoptSession(
  state: StateManager,
  agent: ResolvedAgent,
  sessionId: string,
  options: PlaceOptions,
): Adoption {
  assertSessionId(sessionId);
  const source = handPlace(agent, options);
  const found = findTranscript(source.configDir, source.cwd, sessionId);
  if (!found) {
    const count = listTranscripts(source.configDir, source.cwd).length;
    throw new SessionError(
      "SESSION_TRANSCRIPT_NOT_FOUND",
      `no Claude Code session ${sessionId} in ${folderOf(source)} (where claude keeps conversations started in ${agent.working_directory}); ` +
        (count > 0
          ? `list the ${count} there with: herdctl sessions adopt ${agent.name}`
          : "start one there with claude first, or check CLAUDE_CONFIG_DIR"),
    );
  }
  let transcript = found;
  let copiedFrom: string | null = null;
  if (agent.docker?.enabled === true) {
    const target = transcriptPlace(agent, options);
    transcript = join(target.configDir, "projects", projectSlug(target.cwd), `${sessionId}.jsonl`);
    copiedFrom = found;
    copyIntoDockerSessions(found, transcript, target.configDir);
  }
  const before = state.sessions.get(agent.name);
  const session = state.sessions.save({
    agent: agent.name,
    sessionId,
    workingDirectory: agent.working_directory,
    runtime: agent.runtime ?? "sdk",
    docker: agent.docker?.enabled === true,
  });
  return {
    session,
    transcript,
    copiedFrom,
    replaced: before && before.sessionId !== sessionId ? before.sessionId : null,
  };
}

/**
 * The copy must end up where the container's user can continue it: when the agent's folder already
 * belongs to that user, the new folders and file are handed over too (a folder we create here is
 * handed over with all it holds by ContainerManager when the container starts).
 */
function copyIntoDockerSessions(from: string, to: string, agentDir: string): void {
  if (existsSync(to)) {
    if (!lstatSync(to).isFile())
      throw new SessionError(
        "SESSION_TRANSCRIPT_UNREADABLE",
        `${to} exists and is not a regular file; remove it first`,
      );
    // Already adopted: the container may have continued it since, so our copy is not newer.
    return;
  }
  const created = mkdirSync(dirname(to), { recursive: true, mode: PRIVATE_DIR });
  // COPYFILE_EXCL: never replace a file that appeared meanwhile. The source was checked to be a
  // regular file (no symlink), so no other file of ours can be copied into the container's reach.
  copyFileSync(from, to, constants.COPYFILE_EXCL);
  chmodSync(to, PRIVATE_FILE);
  const owner = statSync(agentDir);
  if (process.getuid?.() !== 0 || owner.uid === process.getuid()) return;
  if (created) {
    for (let dir = dirname(to); dir.startsWith(agentDir) && dir !== agentDir; dir = dirname(dir))
      chownSync(dir, owner.uid, owner.gid);
  }
  chownSync(to, owner.uid, owner.gid);
}
