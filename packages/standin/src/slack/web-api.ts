import type { IncomingMessage } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { SlackMessage } from "./types.js";

/** What one Web API method answers: Slack always uses HTTP 200 with ok true/false, except 429. */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export const ok = (body: Record<string, unknown> = {}): ApiAnswer => ({
  status: 200,
  body: { ok: true, ...body },
});
export const fail = (error: string): ApiAnswer => ({ status: 200, body: { ok: false, error } });

/** Reads a Web API request's arguments: the clients send form-encoded bodies, some send JSON. */
export async function readArgs(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  if (!raw) return {};
  const type = String(req.headers["content-type"] ?? "");
  if (type.includes("application/json")) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  const form = parseQuery(raw);
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) args[key] = Array.isArray(value) ? value[0] : value;
  return args;
}

/** The bearer token of a request, or the `token` argument some callers send in the body. */
export function tokenOf(req: IncomingMessage, args: Record<string, unknown>): string | undefined {
  const header = String(req.headers.authorization ?? "");
  if (header.startsWith("Bearer ")) return header.slice("Bearer ".length);
  return typeof args["token"] === "string" ? args["token"] : undefined;
}

/** Slack-style timestamps: seconds with a six-digit sequence, unique and increasing. */
export function tsClock(): () => string {
  let seq = 0;
  const base = Math.floor(Date.now() / 1000);
  return () => {
    seq++;
    return `${base + Math.floor(seq / 1_000_000)}.${String(seq % 1_000_000).padStart(6, "0")}`;
  };
}

/** Messages of a channel, or of one thread (its parent first), in posting order. */
export function conversation(messages: SlackMessage[], channel: string, threadTs?: string): SlackMessage[] {
  return messages.filter(
    (m) =>
      m.channel === channel &&
      !m.deleted &&
      (threadTs === undefined || m.ts === threadTs || m.thread_ts === threadTs),
  );
}

export function asApiMessage(m: SlackMessage): Record<string, unknown> {
  return {
    type: "message",
    ts: m.ts,
    text: m.text,
    user: m.user,
    ...(m.bot_id ? { bot_id: m.bot_id } : {}),
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
  };
}

/** Slack's reply ordering for conversations.replies / history, with `limit` applied the way each does. */
export function page(
  messages: SlackMessage[],
  limit: unknown,
  newestFirst: boolean,
): Record<string, unknown>[] {
  const n = Number(limit);
  const ordered = newestFirst ? [...messages].reverse() : messages;
  const cut = Number.isFinite(n) && n > 0 ? ordered.slice(0, n) : ordered;
  return cut.map(asApiMessage);
}
