import { ForcedCancel } from "./runtime/forced-cancel.js";
import type { ToolApprovals } from "./runtime/interface.js";

/**
 * The abort reason for a job the daemon stops while it waits for an approval. Draining such a job
 * would only sit out the stop timeout (nobody is deciding) and then cancel it, losing the request;
 * instead it ends `interrupted` with its request still pending, and the next start resumes it.
 * claude is killed outright, as in a crash (a forced cancel): asked to stop, it could first record
 * the pending call as refused in its transcript, and the resumed job would not ask again.
 */
export class PausedAtStop extends ForcedCancel {
  constructor() {
    super();
    this.message =
      "the daemon stopped while this job waited for an approval; the request stays pending and the job resumes when the daemon starts again";
    this.name = "PausedAtStop";
  }
}

/** A cancel caused by PausedAtStop is recorded as an interruption, not as a person's cancel. */
export function asInterruptedAtStop<
  T extends { status: string; exitReason?: string | null; error?: string | null },
>(signal: AbortSignal, outcome: T): T {
  if (!(signal.reason instanceof PausedAtStop) || outcome.status !== "cancelled") return outcome;
  return { ...outcome, status: "interrupted", exitReason: "interrupted", error: signal.reason.message };
}

/** How long a job paused at stop waits for claude to write the waiting call to its transcript. */
export const PAUSE_FLUSH_LIMIT_MS = 10_000;

/**
 * The signal a job's claude runs under: the job's own, except that a pause at stop reaches claude
 * only once `flushed` settles (every other abort passes at once). claude writes its transcript a
 * little behind the conversation (50-100 ms on a quiet machine, more under load) and the kill that
 * pauses a job loses what is not written yet: killed before its first lines reached the disk, the
 * job could not be resumed at all, and the next start would begin a new session.
 */
export function pauseOnceFlushed(signal: AbortSignal, flushed: () => Promise<unknown>): AbortSignal {
  const run = new AbortController();
  const pass = () => run.abort(signal.reason);
  const onAbort = () => {
    if (!(signal.reason instanceof PausedAtStop)) return pass();
    flushed().then(pass, pass);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return run.signal;
}

/**
 * The agent's approvals, noting the id of the call that waits for a person: the line a paused
 * job's transcript must hold before claude is killed.
 */
export function notingWaitingCall(
  approvals: ToolApprovals,
  waiting: (toolUseId: string | undefined) => void,
): ToolApprovals {
  return {
    rules: approvals.rules,
    ask: (request, signal) => {
      waiting(request.toolUseId);
      return approvals.ask(request, signal);
    },
  };
}
