import type { TextTurn, ToolUseTurn, TurnUsage } from "./types.js";

/** One server-sent event, as Anthropic names them: the `event:` line equals `data.type`. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export function encodeSse(ev: SseEvent): string {
  return `event: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`;
}

function ev(data: Record<string, unknown> & { type: string }): SseEvent {
  return { event: data.type, data };
}

export interface MessageMeta {
  id: string;
  model: string;
  inputTokens: number;
  /** Id for a tool_use block whose turn did not fix one. */
  toolUseId: string;
}

/** Split into `n` pieces on code point boundaries, so no delta carries half a surrogate pair. */
export function splitChunks(text: string, n: number | undefined): string[] {
  const points = Array.from(text);
  const count = Math.max(1, Math.min(Math.floor(n ?? 1), points.length));
  if (points.length === 0) return [""];
  const size = Math.ceil(points.length / count);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(""));
  return out;
}

export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function usageFor(turn: TextTurn | ToolUseTurn, meta: MessageMeta): Required<TurnUsage> {
  const produced = turn.kind === "text" ? turn.text : (turn.text ?? "") + JSON.stringify(turn.input);
  return {
    input_tokens: turn.usage?.input_tokens ?? meta.inputTokens,
    output_tokens: turn.usage?.output_tokens ?? estimateTokens(produced),
    cache_creation_input_tokens: turn.usage?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: turn.usage?.cache_read_input_tokens ?? 0,
  };
}

export function stopReasonOf(turn: TextTurn | ToolUseTurn): string {
  return turn.kind === "tool_use" ? "tool_use" : (turn.stopReason ?? "end_turn");
}

export function messageStart(meta: MessageMeta, usage: Required<TurnUsage>): SseEvent {
  return ev({
    type: "message_start",
    message: {
      id: meta.id,
      type: "message",
      role: "assistant",
      model: meta.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
}

function textBlockEvents(index: number, text: string, chunks: number | undefined): SseEvent[] {
  return [
    ev({ type: "content_block_start", index, content_block: { type: "text", text: "" } }),
    ...splitChunks(text, chunks).map((piece) =>
      ev({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }),
    ),
    ev({ type: "content_block_stop", index }),
  ];
}

/**
 * The full event sequence the Messages API streams for a successful reply:
 * message_start, ping, per block content_block_start / _delta… / _stop, message_delta, message_stop.
 */
export function turnEvents(turn: TextTurn | ToolUseTurn, meta: MessageMeta): SseEvent[] {
  const usage = usageFor(turn, meta);
  const events: SseEvent[] = [messageStart(meta, usage), ev({ type: "ping" })];
  let index = 0;
  const leadText = turn.kind === "text" ? turn.text : turn.text;
  if (leadText !== undefined && leadText !== "") {
    events.push(...textBlockEvents(index, leadText, turn.chunks));
    index++;
  }
  if (turn.kind === "tool_use") {
    const block = { type: "tool_use", id: turn.id ?? meta.toolUseId, name: turn.name, input: {} };
    events.push(ev({ type: "content_block_start", index, content_block: block }));
    // The API opens every tool input with an empty partial_json delta.
    const pieces = ["", ...splitChunks(JSON.stringify(turn.input), turn.chunks)];
    for (const piece of pieces) {
      events.push(
        ev({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } }),
      );
    }
    events.push(ev({ type: "content_block_stop", index }));
  } else if (index === 0) {
    // An empty text reply still has one (empty) text block.
    events.push(...textBlockEvents(0, "", 1));
  }
  events.push(
    ev({
      type: "message_delta",
      delta: { stop_reason: stopReasonOf(turn), stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    ev({ type: "message_stop" }),
  );
  return events;
}

/** The non-streaming body for the same turn. */
export function turnMessage(turn: TextTurn | ToolUseTurn, meta: MessageMeta): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (turn.kind === "text") content.push({ type: "text", text: turn.text });
  else {
    if (turn.text) content.push({ type: "text", text: turn.text });
    content.push({ type: "tool_use", id: turn.id ?? meta.toolUseId, name: turn.name, input: turn.input });
  }
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content,
    stop_reason: stopReasonOf(turn),
    stop_sequence: null,
    usage: usageFor(turn, meta),
  };
}
