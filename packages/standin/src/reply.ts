import type { ServerResponse } from "node:http";
import { apiErrorBody } from "./errors.js";
import { encodeSse, type MessageMeta, messageStart, turnEvents, turnMessage, usageFor } from "./sse.js";
import type { DropTurn, ErrorTurn, TextTurn, ToolUseTurn, Turn } from "./types.js";

/**
 * Waits `ms` before the next part of a reply, or less once its client is gone (a cancelled job's
 * claude, or close() ending every connection): a reply nobody waits for holds no timer, which kept
 * `herdctl start --offline` alive for the rest of a `@standin delay` after its fleet had stopped.
 */
function pause(res: ServerResponse, ms: number | undefined): Promise<void> {
  if (!ms || ms <= 0 || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once("close", done);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Write one turn as the reply to a Messages request. Resolves once the reply is finished. */
export async function writeTurn(
  res: ServerResponse,
  turn: Turn,
  meta: MessageMeta,
  stream: boolean,
  requestId: string,
): Promise<void> {
  if (turn.kind === "hang") return; // left open on purpose; close() destroys the socket
  await pause(res, turn.delayMs);
  if (res.destroyed) return;
  switch (turn.kind) {
    case "error":
      return writeError(res, turn, requestId);
    case "drop":
      return writeDrop(res, turn, meta, stream, requestId);
    case "malformed":
      return writeMalformed(res, meta, stream, requestId);
    default:
      return stream ? writeStream(res, turn, meta, requestId) : writeMessage(res, turn, meta, requestId);
  }
}

function writeError(res: ServerResponse, turn: ErrorTurn, requestId: string): void {
  const headers: Record<string, string> = { "request-id": requestId };
  const retryAfter = turn.retryAfterSeconds ?? (turn.status === 429 ? 0 : undefined);
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  if (turn.shouldRetry !== undefined) headers["x-should-retry"] = String(turn.shouldRetry);
  sendJson(res, turn.status, { ...apiErrorBody(turn.status, turn.message), request_id: requestId }, headers);
}

function streamHeaders(res: ServerResponse, requestId: string): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "request-id": requestId,
  });
}

async function writeStream(
  res: ServerResponse,
  turn: TextTurn | ToolUseTurn,
  meta: MessageMeta,
  requestId: string,
): Promise<void> {
  streamHeaders(res, requestId);
  for (const event of turnEvents(turn, meta)) {
    if (res.destroyed) return;
    res.write(encodeSse(event));
    if (event.event === "content_block_delta") await pause(res, turn.chunkDelayMs);
  }
  res.end();
}

function writeMessage(
  res: ServerResponse,
  turn: TextTurn | ToolUseTurn,
  meta: MessageMeta,
  requestId: string,
) {
  sendJson(res, 200, turnMessage(turn, meta), { "request-id": requestId });
}

/** Headers and the opening events go out, then the TCP connection is cut mid-message. */
async function writeDrop(
  res: ServerResponse,
  turn: DropTurn,
  meta: MessageMeta,
  stream: boolean,
  requestId: string,
) {
  if (!stream) {
    res.socket?.destroy();
    return;
  }
  streamHeaders(res, requestId);
  const partial: TextTurn = { kind: "text", text: turn.partialText ?? "This reply is cut sho" };
  const events = turnEvents(partial, meta).filter((e) => e.event !== "content_block_stop");
  // message_start, ping, content_block_start, the text delta; never a stop event.
  for (const event of events.slice(0, 4)) res.write(encodeSse(event));
  await new Promise<void>((resolve) => res.write("", () => resolve()));
  res.socket?.destroy();
}

/** A 200 response whose body cannot be parsed: a delta event carrying broken JSON. */
function writeMalformed(res: ServerResponse, meta: MessageMeta, stream: boolean, requestId: string): void {
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"id":"msg_broken","type":"message","content":[{"type":"text","text":"unterminated');
    return;
  }
  streamHeaders(res, requestId);
  const usage = usageFor({ kind: "text", text: "" }, meta);
  res.write(encodeSse(messageStart(meta, usage)));
  res.write('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":\n\n');
  res.end();
}
