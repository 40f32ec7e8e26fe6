import type { ChatMessageRecord, ChatRecord } from "@herdctl/core";
import { CliError, UsageError } from "../errors.js";
import type { ChatConnection } from "./connection.js";

export interface OpenedChat {
  chat: ChatRecord;
  /** The resumed chat's messages so far, oldest first; empty for a new chat. */
  messages: ChatMessageRecord[];
  resumed: boolean;
}

/** A new chat with `agent`, or the one `resume` names, which must be that agent's. */
export async function openChat(conn: ChatConnection, agent: string, resume?: string): Promise<OpenedChat> {
  if (resume === undefined) return { chat: await conn.create(agent), messages: [], resumed: false };
  const { chat, messages } = await conn.chat(resume).catch((error) => {
    throw unknownChat(error, resume);
  });
  if (chat.agent !== agent)
    throw new UsageError(
      `chat ${chat.id} is with ${chat.agent}, not ${agent}; resume it with: herdctl chat ${chat.agent} --resume ${chat.id}`,
    );
  return { chat, messages, resumed: true };
}

export function resumeHint(chat: ChatRecord): string {
  return `chat ${chat.id} kept; continue it with: herdctl chat ${chat.agent} --resume ${chat.id}`;
}

/** The core's "no chat" points at the API; here the list is one command away. */
export function unknownChat(error: unknown, id: string): unknown {
  if ((error as { code?: unknown }).code !== "CHAT_NOT_FOUND") return error;
  return new CliError(`no chat "${id}"; herdctl chats lists them`);
}
