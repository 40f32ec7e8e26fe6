import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { classifyRequest, type RequestClass } from "./classify.js";
import type { Turn } from "./types.js";

export const REDACTED = "[redacted]";
const SECRET_HEADERS = new Set(["x-api-key", "authorization", "proxy-authorization", "cookie"]);
const REMINDER_PREFIX = "<system-reminder>";

export interface ContentBlock {
  type: string;
  text?: string;
  [key: string]: unknown;
}

export interface MessageParam {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

function blocksOf(content: MessageParam["content"] | undefined): ContentBlock[] {
  if (content === undefined) return [];
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/** Text blocks a human wrote: Claude Code wraps its own context in <system-reminder> blocks. */
function humanTexts(message: MessageParam): string[] {
  return blocksOf(message.content)
    .filter((b) => b.type === "text" && typeof b.text === "string" && !b.text.startsWith(REMINDER_PREFIX))
    .map((b) => b.text as string);
}

/**
 * One request as the stand-in received it. Secrets in headers are replaced with "[redacted]"
 * before anything is stored, so recordings can be printed or written to disk safely.
 * Texts are kept byte-exact.
 */
export class RecordedRequest {
  readonly receivedAt = Date.now();
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown> | undefined;
  readonly class: RequestClass;
  /** The turn the responder chose (main requests only; unset for side requests). */
  turn: Turn | undefined;
  /** Refused with a 429 by the stand-in's usage limit (see Standin.limitUsage). */
  limited = false;

  constructor(
    readonly index: number,
    readonly method: string,
    readonly path: string,
    headers: IncomingHttpHeaders,
    readonly rawBody: string,
  ) {
    this.headers = redactHeaders(headers);
    this.body = parseBody(rawBody);
    this.class = classifyRequest(this);
  }

  /** Path without the query string (Claude Code appends `?beta=true`). */
  get pathname(): string {
    const q = this.path.indexOf("?");
    return q === -1 ? this.path : this.path.slice(0, q);
  }

  get isSide(): boolean {
    return this.class.kind === "side";
  }

  get model(): string | undefined {
    const m = this.body?.["model"];
    return typeof m === "string" ? m : undefined;
  }

  get stream(): boolean {
    return this.body?.["stream"] === true;
  }

  get messages(): MessageParam[] {
    const m = this.body?.["messages"];
    return Array.isArray(m) ? (m as MessageParam[]) : [];
  }

  get tools(): Array<{ name: string; [key: string]: unknown }> {
    const t = this.body?.["tools"];
    return Array.isArray(t) ? t : [];
  }

  /** System prompt blocks' texts, in order. */
  get systemBlocks(): string[] {
    const s = this.body?.["system"];
    if (typeof s === "string") return [s];
    if (!Array.isArray(s)) return [];
    return s.filter((b) => typeof b?.text === "string").map((b) => b.text as string);
  }

  /** System prompt blocks joined with "\n\n" (a single string system prompt comes back unchanged). */
  get systemText(): string {
    return this.systemBlocks.join("\n\n");
  }

  /** Assistant messages already in the conversation. */
  get assistantTurns(): number {
    return this.messages.filter((m) => m.role === "assistant").length;
  }

  /**
   * Human text of the latest user message that has any: <system-reminder> blocks and
   * tool results are skipped; several human blocks are joined with "\n". Exactly as received,
   * trailing newline included (`echo prompt | claude -p` sends "prompt\n").
   */
  get lastUserText(): string | undefined {
    const msgs = this.messages;
    for (let i = msgs.length - 1; i >= 0; i--) {
      const m = msgs[i]!;
      if (m.role !== "user") continue;
      const texts = humanTexts(m);
      // The newest prompt is the last block: claude merges a resumed session's unanswered prompt
      // and the new one into one user message, and only the new one is being asked now.
      if (texts.length > 0) return texts[texts.length - 1];
    }
    return undefined;
  }

  /** Assistant messages after the user message that carries `lastUserText`. */
  get assistantTurnsSinceLastUserText(): number {
    const msgs = this.messages;
    let count = 0;
    for (let i = msgs.length - 1; i >= 0; i--) {
      const m = msgs[i]!;
      if (m.role === "assistant") count++;
      else if (humanTexts(m).length > 0) return count;
    }
    return count;
  }

  /** tool_result blocks of the final message (empty unless the client is returning tool output). */
  get toolResults(): ContentBlock[] {
    const last = this.messages.at(-1);
    if (last?.role !== "user") return [];
    return blocksOf(last.content).filter((b) => b.type === "tool_result");
  }

  /** Identity of the conversation: a resumed session replays the same first user message. */
  get conversationKey(): string {
    const first = this.messages.find((m) => m.role === "user");
    return createHash("sha256")
      .update(JSON.stringify(first?.content ?? ""))
      .digest("hex")
      .slice(0, 16);
  }

  toJSON(): Record<string, unknown> {
    return {
      index: this.index,
      method: this.method,
      path: this.path,
      headers: this.headers,
      class: this.class,
      body: this.body ?? this.rawBody,
    };
  }
}

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    out[key] = SECRET_HEADERS.has(key) ? REDACTED : Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function parseBody(raw: string): Record<string, unknown> | undefined {
  if (raw.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
