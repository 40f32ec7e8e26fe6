import type { SDKResultMessage } from "@anthropic-ai/claude-agent-sdk";
import type { ExitReason, JobOutcome, ModelUsage } from "../state/index.js";
import type { TerminalJobStatus } from "../state/job-status.js";
import { RuntimeError } from "./runtime/errors.js";
import type { RuntimeMessage } from "./runtime/interface.js";
import { ToolFailureLog } from "./tool-failures.js";

/** What the executor learns from the message stream as it passes by. */
export class OutcomeTracker {
  sessionId: string | undefined;
  lastAssistantText: string | undefined;
  result: SDKResultMessage | undefined;
  assistantTurns = 0;
  /** claude's class of the last API failure it reported (the assistant message's `error`). */
  apiErrorKind: string | undefined;
  readonly toolFailures = new ToolFailureLog();

  observe(message: RuntimeMessage): void {
    if (message.type === "system" && message.subtype === "init") this.sessionId = message.session_id;
    if (message.type === "system" && message.subtype === "permission_denied")
      this.toolFailures.denied(message.tool_use_id, message.tool_name);
    if (message.type === "user" && Array.isArray(message.message.content)) {
      for (const block of message.message.content) {
        if (block.type === "tool_result")
          this.toolFailures.toolResult(block.tool_use_id, block.content, block.is_error === true);
      }
    }
    if (message.type === "assistant") {
      this.assistantTurns += 1;
      if (message.error) this.apiErrorKind = message.error;
      for (const block of message.message.content) {
        if (block.type === "tool_use")
          this.toolFailures.toolUse(block.id, block.name, (block.input ?? {}) as Record<string, unknown>);
      }
      const text = message.message.content
        .filter((block): block is { type: "text"; text: string } & typeof block => block.type === "text")
        .map((block) => (block as { text: string }).text)
        .join("");
      if (text.trim()) this.lastAssistantText = text;
    }
    if (message.type === "result") {
      this.result = message;
      this.sessionId = message.session_id;
      for (const denial of message.permission_denials ?? [])
        this.toolFailures.denied(denial.tool_use_id, denial.tool_name, denial.tool_input);
    }
  }
}

function usageFields(result: SDKResultMessage): Partial<JobOutcome> {
  const usage: Record<string, ModelUsage> = {};
  for (const [model, u] of Object.entries(result.modelUsage ?? {})) {
    usage[model] = Object.fromEntries(
      Object.entries(u).filter((entry): entry is [string, number] => typeof entry[1] === "number"),
    );
  }
  return {
    numTurns: result.num_turns,
    inputTokens: result.usage?.input_tokens ?? null,
    outputTokens: result.usage?.output_tokens ?? null,
    cacheReadTokens: result.usage?.cache_read_input_tokens ?? null,
    cacheCreationTokens: result.usage?.cache_creation_input_tokens ?? null,
    costUsd: result.total_cost_usd ?? null,
    usage,
  };
}

const RESULT_ERROR_REASONS: Record<string, ExitReason> = {
  error_max_turns: "max_turns",
  error_max_budget_usd: "budget",
  error_during_execution: "error",
};

/**
 * claude's answer to `--resume` of a session it has no transcript for: an execution error before
 * any turn, reported for the very session asked for. Read from the result's fields, not its text.
 */
export function sessionWasMissing(tracker: OutcomeTracker, failure: unknown): boolean {
  const result = tracker.result;
  return (
    failure === undefined &&
    result !== undefined &&
    result.subtype === "error_during_execution" &&
    result.num_turns === 0 &&
    tracker.assistantTurns === 0
  );
}

/** Turns the end of a run (a result message, or the error that ended it) into a job outcome. */
export function decideOutcome(tracker: OutcomeTracker, error: unknown): JobOutcome {
  const failures = tracker.toolFailures.list;
  const outcome = outcomeOf(tracker, error);
  return failures.length > 0 ? { ...outcome, toolFailures: failures } : outcome;
}

function outcomeOf(tracker: OutcomeTracker, error: unknown): JobOutcome {
  const result = tracker.result;
  const usage = result ? usageFields(result) : {};
  const summary = (result?.subtype === "success" && result.result) || tracker.lastAssistantText || null;
  if (error instanceof RuntimeError) {
    const map: Record<string, { status: TerminalJobStatus; exitReason: ExitReason }> = {
      cancelled: { status: "cancelled", exitReason: "cancelled" },
      timeout: { status: "timed_out", exitReason: "timeout" },
      inactivity: { status: "timed_out", exitReason: "inactivity" },
      unreachable: { status: "failed", exitReason: "api_error" },
      proxy_down: { status: "failed", exitReason: "api_error" },
    };
    const known = map[error.reason] ?? { status: "failed" as const, exitReason: "no_result" as const };
    return { ...known, ...usage, summary, error: error.message };
  }
  if (error) {
    return { status: "failed", exitReason: "error", ...usage, summary, error: (error as Error).message };
  }
  if (!result) {
    return { status: "failed", exitReason: "no_result", summary, error: "claude ended without a result" };
  }
  if (result.subtype === "success" && !result.is_error) {
    return { status: "completed", exitReason: "success", ...usage, summary };
  }
  if (result.subtype === "success") {
    // claude reports API failures as an error result whose text is the API's own message.
    return {
      status: "failed",
      exitReason: "api_error",
      ...usage,
      summary: null,
      error: result.result,
      apiErrorKind: tracker.apiErrorKind ?? null,
    };
  }
  const detail = result.errors?.length ? `: ${result.errors.join("; ")}` : "";
  return {
    status: "failed",
    exitReason: RESULT_ERROR_REASONS[result.subtype] ?? "error",
    ...usage,
    summary,
    error: `claude stopped with ${result.subtype}${detail}`,
  };
}
