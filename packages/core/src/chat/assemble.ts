import type { JobMessage } from "../fleet-manager/events.js";
import type { NewChatMessage } from "../state/index.js";
import type { ChatToolCall } from "./types.js";

interface Block {
  type: string;
  text?: unknown;
  id?: unknown;
  name?: unknown;
  input?: unknown;
  tool_use_id?: unknown;
  content?: unknown;
  is_error?: unknown;
}

interface Draft {
  messageId: string | undefined;
  texts: string[];
  toolCalls: ChatToolCall[];
  usage: { inputTokens: number; outputTokens: number } | null;
}

/** A tool result's content as text: a string, or the text blocks of a list. */
function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b: Block) => (b?.type === "text" && typeof b.text === "string" ? b.text : `[${String(b?.type)}]`))
    .join("\n");
}

function usageOf(message: { usage?: { input_tokens?: unknown; output_tokens?: unknown } }) {
  const u = message.usage;
  if (!u || (typeof u.input_tokens !== "number" && typeof u.output_tokens !== "number")) return null;
  return {
    inputTokens: typeof u.input_tokens === "number" ? u.input_tokens : 0,
    outputTokens: typeof u.output_tokens === "number" ? u.output_tokens : 0,
  };
}

/**
 * The assistant messages of one chat turn, from the turn's stream as the job recorded it. claude
 * streams one API message as several lines (one per content block, sharing the message id); they
 * become one chat message. Tool results, which arrive in user lines, are paired with their call
 * by tool_use id. `costUsd` (the turn's, from its job record) goes on the last message.
 */
export function assembleTurn(
  stream: readonly JobMessage[],
  turn: { jobId: string; costUsd: number | null },
): NewChatMessage[] {
  const drafts: Draft[] = [];
  const calls = new Map<string, ChatToolCall>();
  for (const line of stream) {
    if (line.type === "assistant") {
      const message = line.message as unknown as {
        id?: string;
        content?: Block[];
        usage?: Record<string, unknown>;
      };
      const id = typeof message.id === "string" ? message.id : undefined;
      let draft = drafts.at(-1);
      if (!draft || id === undefined || draft.messageId !== id) {
        draft = { messageId: id, texts: [], toolCalls: [], usage: null };
        drafts.push(draft);
      }
      draft.usage = usageOf(message) ?? draft.usage;
      for (const block of message.content ?? []) {
        if (block.type === "text" && typeof block.text === "string") draft.texts.push(block.text);
        if (block.type === "tool_use" && typeof block.id === "string") {
          const call: ChatToolCall = { id: block.id, name: String(block.name), input: block.input ?? {} };
          draft.toolCalls.push(call);
          calls.set(block.id, call);
        }
      }
    } else if (line.type === "user") {
      const content = (line.message as { content?: unknown }).content;
      if (!Array.isArray(content)) continue;
      for (const block of content as Block[]) {
        if (block?.type !== "tool_result" || typeof block.tool_use_id !== "string") continue;
        const call = calls.get(block.tool_use_id);
        if (!call) continue;
        call.result = resultText(block.content);
        if (block.is_error === true) call.isError = true;
      }
    }
  }
  return drafts
    .filter((d) => d.texts.some((t) => t.trim() !== "") || d.toolCalls.length > 0)
    .map((d, i, kept) => ({
      jobId: turn.jobId,
      role: "assistant" as const,
      text: d.texts.join("\n\n"),
      toolCalls: d.toolCalls,
      usage: d.usage,
      costUsd: i === kept.length - 1 ? turn.costUsd : null,
    }));
}
