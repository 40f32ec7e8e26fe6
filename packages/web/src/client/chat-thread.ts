import { type Item, toItems } from "./job-items.js";
import type { ChatMessageRecord } from "./types.js";

export type ToolItem = Extract<Item, { kind: "tool" }>;
export type Part = { kind: "text"; key: string; text: string } | ToolItem;

/** What the chat shows, in order: the user's messages, the agent's bubbles, and per turn its cost and files. */
export type Entry =
  | { kind: "user"; key: string; text: string; pending: boolean; jobId: string | null }
  | { kind: "assistant"; key: string; parts: Part[]; live: boolean }
  | { kind: "notice"; key: string; text: string; error: boolean }
  | {
      kind: "turn-end";
      key: string;
      jobId: string;
      costUsd: number | null;
      tokens: number | null;
      files: string[];
    };

export type Grouping = "separate" | "grouped";

/** Tools whose input names a file the agent wrote. */
const WRITING_TOOLS = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

export function writtenFiles(tools: ToolItem[]): string[] {
  const files = new Set<string>();
  for (const t of tools) {
    if (!WRITING_TOOLS.has(t.name) || !t.input || typeof t.input !== "object") continue;
    const input = t.input as { file_path?: unknown; notebook_path?: unknown };
    const path = input.file_path ?? input.notebook_path;
    if (typeof path === "string" && !t.result?.error) files.add(path);
  }
  return [...files];
}

function toolItem(call: ChatMessageRecord["toolCalls"][number], key: string): ToolItem {
  return {
    kind: "tool",
    key,
    id: call.id,
    name: call.name,
    input: call.input,
    ...(call.result === undefined ? {} : { result: { text: call.result, error: call.isError === true } }),
  };
}

/**
 * Each turn's answer right under its question. A message sent while a turn ran is stored before
 * that turn's answer, which is stored when the turn ends.
 */
function inTurnOrder(messages: ChatMessageRecord[]): ChatMessageRecord[] {
  const askedAt = new Map<string, number>();
  messages.forEach((m, i) => {
    if (m.role === "user" && m.jobId && !askedAt.has(m.jobId)) askedAt.set(m.jobId, i);
  });
  return messages
    .map((m, i) => ({ m, i, at: m.role === "assistant" && m.jobId ? (askedAt.get(m.jobId) ?? i) : i }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.m);
}

/** The stored conversation: one bubble per assistant message, or per turn when grouped. */
export function threadFromMessages(stored: ChatMessageRecord[], grouping: Grouping): Entry[] {
  const messages = inTurnOrder(stored);
  const entries: Entry[] = [];
  messages.forEach((m, i) => {
    if (m.role === "user") {
      entries.push({ kind: "user", key: `m${m.id}`, text: m.text, pending: false, jobId: m.jobId });
      return;
    }
    const parts: Part[] = [];
    if (m.text) parts.push({ kind: "text", key: `m${m.id}.t`, text: m.text });
    for (const [j, c] of m.toolCalls.entries()) parts.push(toolItem(c, `m${m.id}.${j}`));
    const last = entries.at(-1);
    const prev = messages[i - 1];
    if (
      grouping === "grouped" &&
      last?.kind === "assistant" &&
      prev?.role === "assistant" &&
      prev.jobId === m.jobId
    )
      last.parts.push(...parts);
    else entries.push({ kind: "assistant", key: `m${m.id}`, parts, live: false });
    const next = messages[i + 1];
    if (m.jobId && (!next || next.role === "user" || next.jobId !== m.jobId)) {
      const turn = messages.filter((x) => x.jobId === m.jobId && x.role === "assistant");
      const costs = turn.map((x) => x.costUsd).filter((c): c is number => c !== null);
      const usages = turn.map((x) => x.usage).filter((u) => u !== null);
      entries.push({
        kind: "turn-end",
        key: `end-${m.jobId}`,
        jobId: m.jobId,
        costUsd: costs.length ? costs.reduce((a, b) => a + b, 0) : null,
        tokens: usages.length ? usages.reduce((a, u) => a + u.inputTokens + u.outputTokens, 0) : null,
        files: writtenFiles(turn.flatMap((x) => x.toolCalls.map((c, j) => toolItem(c, `${x.id}.${j}`)))),
      });
    }
  });
  return entries;
}

/** A turn still running, from its job's streamed output: text and tool calls as they happen. */
export function threadFromOutput(
  jobId: string,
  lines: Array<{ line: number; message: unknown }>,
  grouping: Grouping,
): Entry[] {
  const entries: Entry[] = [];
  // claude streams one API message as a line per content block, all with the message's id.
  const messageOf = new Map<string, string>();
  for (const { line, message } of lines) {
    const id = (message as { type?: string; message?: { id?: unknown } }).message?.id;
    if (typeof id === "string") messageOf.set(String(line), id);
  }
  let bubble: Extract<Entry, { kind: "assistant" }> | undefined;
  let bubbleMessage: string | undefined;
  for (const item of toItems(lines)) {
    if (item.kind === "notice") {
      // claude's own "session started" says nothing to a chat reader; herdctl's notices do.
      if (!item.text.startsWith("session started"))
        entries.push({ kind: "notice", key: `${jobId}.${item.key}`, text: item.text, error: false });
      continue;
    }
    if (item.kind === "result") {
      if (item.error)
        entries.push({ kind: "notice", key: `${jobId}.${item.key}`, text: item.text, error: true });
      continue;
    }
    // One bubble per assistant message, as the stored chat has them, or one for the whole turn.
    const line = item.key.split(".")[0]!;
    const message = messageOf.get(line) ?? line;
    if (!bubble || (grouping === "separate" && message !== bubbleMessage)) {
      bubble = { kind: "assistant", key: `${jobId}.${item.key}`, parts: [], live: true };
      entries.push(bubble);
    }
    bubbleMessage = message;
    bubble.parts.push(item.kind === "text" ? { kind: "text", key: item.key, text: item.text } : item);
  }
  return entries;
}
