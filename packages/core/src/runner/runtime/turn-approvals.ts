import type { ToolApprovals, ToolPermissionDecision, ToolPermissionRequest } from "./interface.js";
import type { RunWatchdog } from "./watchdog.js";

/**
 * The approvals of a kept claude process. Its rules are the agent's, fixed when the process starts,
 * but each question belongs to the turn running when claude asks: every turn is a job of its own,
 * with its own approval records, timeout and cancel. A turn lends its approvals and watchdog for
 * as long as it runs.
 */
export class TurnApprovals implements ToolApprovals {
  private current: { approvals: ToolApprovals | undefined; watchdog: RunWatchdog } | undefined;

  constructor(readonly rules: readonly string[]) {}

  /** The turn now running; call the returned function when it ends. */
  during(approvals: ToolApprovals | undefined, watchdog: RunWatchdog): () => void {
    const turn = { approvals, watchdog };
    this.current = turn;
    return () => {
      if (this.current === turn) this.current = undefined;
    };
  }

  async ask(request: ToolPermissionRequest, signal: AbortSignal): Promise<ToolPermissionDecision> {
    const turn = this.current;
    if (!turn?.approvals)
      return {
        behavior: "deny",
        message: "herdctl had no one to ask about this call (no turn was running). Do not retry it.",
      };
    // Waiting for a person is not a hang: the turn's inactivity timer stops, its timeout does not.
    const release = turn.watchdog.hold();
    try {
      return await turn.approvals.ask(request, AbortSignal.any([signal, turn.watchdog.signal]));
    } finally {
      release();
    }
  }
}
