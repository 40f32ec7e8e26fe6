import type { Writable } from "node:stream";
import type { ToolApprovals } from "./interface.js";
import type { RunWatchdog } from "./watchdog.js";

/**
 * claude's stdio control protocol, host side, for `--permission-prompt-tool stdio`: claude writes a
 * `control_request` line when a call needs permission and waits for the matching
 * `control_response` on stdin. It is the protocol the Agent SDK itself speaks, so it behaves the
 * same on the host and through docker exec.
 */
interface ControlRequest {
  type: "control_request";
  request_id: string;
  request: { subtype: string; tool_name?: string; input?: Record<string, unknown>; tool_use_id?: string };
}

export function isControlRequest(value: unknown): value is ControlRequest {
  const v = value as Partial<ControlRequest> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    v.type === "control_request" &&
    typeof v.request_id === "string" &&
    typeof v.request === "object" &&
    v.request !== null
  );
}

/** Answers the permission questions of one claude process; any other request gets an error reply. */
export class ControlResponder {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly stdin: Writable,
    private readonly approvals: ToolApprovals,
    private readonly watchdog: RunWatchdog,
  ) {}

  /** Answers the line if it is one of claude's control requests; false for any other line. */
  takes(line: string): boolean {
    if (!line.includes('"control_request"')) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return false;
    }
    if (!isControlRequest(parsed)) return false;
    this.handle(parsed);
    return true;
  }

  handle(message: ControlRequest): void {
    const { request_id: requestId, request } = message;
    if (request.subtype !== "can_use_tool" || typeof request.tool_name !== "string") {
      this.write({
        subtype: "error",
        request_id: requestId,
        error: `herdctl does not answer ${request.subtype}`,
      });
      return;
    }
    const release = this.watchdog.hold();
    const input = request.input ?? {};
    const answer = this.approvals
      .ask({ toolName: request.tool_name, input, toolUseId: request.tool_use_id }, this.watchdog.signal)
      .then(
        (decision) =>
          decision.behavior === "allow"
            ? { behavior: "allow", updatedInput: input }
            : { behavior: "deny", message: decision.message },
        (error: Error) => ({
          behavior: "deny",
          message: `herdctl could not ask for approval: ${error.message}`,
        }),
      )
      .then((response) => {
        if (!this.watchdog.signal.aborted)
          this.write({ subtype: "success", request_id: requestId, response });
      })
      .finally(() => {
        release();
        this.pending.delete(answer);
      });
    this.pending.add(answer);
  }

  /** Waits for answers still being written (the run is ending). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private write(response: Record<string, unknown>): void {
    if (this.stdin.writableEnded) return;
    this.stdin.write(`${JSON.stringify({ type: "control_response", response })}\n`);
  }
}
