import { RuntimeError } from "./errors.js";
import type { LiveConversation, RuntimeMessage, RuntimeType, TurnOptions } from "./interface.js";
import type { TurnApprovals } from "./turn-approvals.js";
import { RunWatchdog } from "./watchdog.js";

/** How a runtime feeds and ends its kept process; the turn protocol on top is shared. */
export interface ConversationProcess {
  readonly runtime: RuntimeType;
  readonly pid: number | undefined;
  /** Every message claude writes, across turns; done when the process has ended. */
  readonly messages: AsyncIterator<RuntimeMessage>;
  /** Writes one user message. */
  send(prompt: string): void;
  /** Ends the process (at once when `forced`); resolves once it is gone. */
  stop(forced: boolean): Promise<void>;
  /** claude's stderr so far, for the error of a process that died. */
  stderrTail(): string;
  /** True once the process has exited, whoever ended it. */
  exited(): boolean;
  /** Where the process's permission questions go, when it was opened with approval rules. */
  readonly approvals?: TurnApprovals;
}

/**
 * The turn protocol over a kept claude process: one turn at a time, each ending at its `result`.
 * A turn that does not reach its result (cancel, timeout, inactivity, the process died) stops the
 * process: killing it is the one interrupt that cannot leave half a turn for the next one, which
 * then resumes the session in a new process.
 */
export class KeptConversation implements LiveConversation {
  private ended = false;
  private busy = false;

  constructor(private readonly proc: ConversationProcess) {}

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get closed(): boolean {
    return this.ended || this.proc.exited();
  }

  async *turn(prompt: string, options: TurnOptions): AsyncGenerator<RuntimeMessage> {
    if (this.closed || this.busy)
      throw new RuntimeError({
        reason: "no_result",
        runtime: this.proc.runtime,
        detail: this.ended ? "the kept claude process has ended" : "a turn is already running",
      });
    this.busy = true;
    const watchdog = new RunWatchdog(options.signal, options);
    const onAbort = () => void this.stop(watchdog.forced);
    watchdog.signal.addEventListener("abort", onAbort, { once: true });
    const endTurn = this.proc.approvals?.during(options.approvals, watchdog);
    let sawResult = false;
    try {
      if (watchdog.signal.aborted) throw this.stoppedError(watchdog);
      this.proc.send(prompt);
      while (!sawResult) {
        const next = await this.proc.messages.next().catch(() => ({ done: true as const, value: undefined }));
        if (watchdog.reason) throw this.stoppedError(watchdog);
        if (next.done) {
          this.ended = true;
          throw new RuntimeError({
            reason: "no_result",
            runtime: this.proc.runtime,
            stderrTail: this.proc.stderrTail(),
          });
        }
        watchdog.touch();
        if (next.value.type === "result") sawResult = true;
        yield next.value;
      }
    } finally {
      watchdog.signal.removeEventListener("abort", onAbort);
      endTurn?.();
      watchdog.dispose();
      this.busy = false;
      // Stopped early by its consumer, or failed: what claude does next belongs to no turn.
      if (!sawResult) await this.stop(watchdog.forced);
    }
  }

  async close(): Promise<void> {
    await this.stop(false);
  }

  private async stop(forced: boolean): Promise<void> {
    this.ended = true;
    await this.proc.stop(forced);
  }

  private stoppedError(watchdog: RunWatchdog): RuntimeError {
    const stop = watchdog.reason ?? { reason: "cancelled" as const };
    return new RuntimeError({
      reason: stop.reason,
      runtime: this.proc.runtime,
      timeoutMs: stop.timeoutMs,
      ...(watchdog.forced ? { detail: "forced" } : {}),
    });
  }
}

/** A user message as claude's stream-json input reads it (one JSON object per line). */
export function userMessage(prompt: string) {
  return {
    type: "user" as const,
    message: { role: "user" as const, content: prompt },
    parent_tool_use_id: null,
    session_id: "",
  };
}
