import { ForcedCancel } from "./runtime/forced-cancel.js";

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
