import { ForcedCancel } from "./forced-cancel.js";

export type StopReason = "cancelled" | "timeout" | "inactivity";

/**
 * Joins the caller's cancel signal, the hard timeout and the inactivity timer into one
 * AbortSignal, and remembers which of them fired first.
 */
export class RunWatchdog {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private hardTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped: { reason: StopReason; timeoutMs?: number } | undefined;
  private holds = 0;
  private readonly onOuterAbort = () => this.stop("cancelled");

  constructor(
    private readonly outer: AbortSignal,
    private readonly limits: { timeoutMs?: number; inactivityTimeoutMs?: number },
  ) {
    this.signal = this.controller.signal;
    if (outer.aborted) {
      this.stop("cancelled");
      return;
    }
    outer.addEventListener("abort", this.onOuterAbort, { once: true });
    if (limits.timeoutMs !== undefined && limits.timeoutMs > 0) {
      this.hardTimer = setTimeout(() => this.stop("timeout", limits.timeoutMs), limits.timeoutMs);
      this.hardTimer.unref();
    }
    this.touch();
  }

  /** The run showed signs of life; restart the inactivity countdown. */
  touch(): void {
    const ms = this.limits.inactivityTimeoutMs;
    if (ms === undefined || ms <= 0 || this.stopped || this.holds > 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.stop("inactivity", ms), ms);
      this.idleTimer.unref();
    }
  }

  /**
   * A silence that is not a hang: claude waits for a person to approve a tool call. The inactivity
   * countdown stops until the returned release is called (the hard timeout keeps running).
   */
  hold(): () => void {
    this.holds++;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.touch();
    };
  }

  get reason(): { reason: StopReason; timeoutMs?: number } | undefined {
    return this.stopped;
  }

  /** The caller cancelled with --force: no graceful end. */
  get forced(): boolean {
    return this.stopped?.reason === "cancelled" && this.outer.reason instanceof ForcedCancel;
  }

  dispose(): void {
    clearTimeout(this.hardTimer);
    clearTimeout(this.idleTimer);
    this.outer.removeEventListener("abort", this.onOuterAbort);
  }

  private stop(reason: StopReason, timeoutMs?: number): void {
    if (this.stopped) return;
    this.stopped = { reason, timeoutMs };
    this.dispose();
    this.controller.abort(reason);
  }
}
