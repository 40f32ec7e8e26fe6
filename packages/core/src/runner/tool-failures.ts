import type { ToolFailure } from "../state/index.js";

// Tool results are text written for the model; the system's error codes are the only stable
// marks a permission failure leaves in them (Write reports "EACCES: permission denied, open ...",
// Bash passes on the shell's "Permission denied" or "Read-only file system").
const SYSTEM_CODE = /\b(EACCES|EROFS|EPERM)\b/;
const SYSTEM_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/read-only file system/i, "EROFS"],
  [/permission denied/i, "permission denied"],
];
const TARGET_MAX = 80;

interface ToolCall {
  readonly tool: string;
  readonly input: Record<string, unknown>;
}

/** What a tool call aimed at, in a few words: its path, command, pattern or URL. */
export function toolTarget(input: Record<string, unknown>): string | null {
  const pick =
    input.file_path ?? input.notebook_path ?? input.path ?? input.command ?? input.pattern ?? input.url;
  if (typeof pick !== "string") return null;
  const oneLine = pick.replace(/\s+/g, " ").trim();
  return oneLine.length > TARGET_MAX ? `${oneLine.slice(0, TARGET_MAX - 1)}…` : oneLine;
}

function systemReason(text: string): string | undefined {
  const code = SYSTEM_CODE.exec(text)?.[1];
  if (code) return code;
  return SYSTEM_TEXT.find(([pattern]) => pattern.test(text))?.[1];
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) => (block && typeof block === "object" && "text" in block ? String(block.text) : ""))
    .join("\n");
}

/**
 * Collects, from a job's message stream, the tool calls refused for lack of permission: claude's
 * own denials (the result's `permission_denials`, or `system/permission_denied` when no result
 * came) and tool results failing with a permission error. One entry per tool call.
 */
export class ToolFailureLog {
  private readonly calls = new Map<string, ToolCall>();
  private readonly failures = new Map<string, ToolFailure>();

  toolUse(id: string, tool: string, input: Record<string, unknown>): void {
    this.calls.set(id, { tool, input });
  }

  toolResult(id: string, content: unknown, isError: boolean): void {
    if (!isError || this.failures.has(id)) return;
    const reason = systemReason(resultText(content));
    if (reason === undefined) return;
    const call = this.calls.get(id);
    this.failures.set(id, {
      tool: call?.tool ?? "tool",
      target: call ? toolTarget(call.input) : null,
      reason,
    });
  }

  denied(id: string, tool: string, input?: Record<string, unknown>): void {
    const call = this.calls.get(id);
    this.failures.set(id, {
      tool,
      target: toolTarget(input ?? call?.input ?? {}),
      reason: "denied",
    });
  }

  get list(): ToolFailure[] {
    return [...this.failures.values()];
  }
}

/** One line for people, e.g. `2 tool calls were refused: Write /workspace/x (EACCES), Bash ls (denied)`. */
export function describeToolFailures(failures: readonly ToolFailure[]): string {
  const n = failures.length;
  const each = failures.map((f) => `${f.tool}${f.target ? ` ${f.target}` : ""} (${f.reason})`);
  return `${n} tool call${n === 1 ? " was" : "s were"} refused: ${each.join(", ")}`;
}
