import type { ChatMessageRecord, ChatRecord, JobMessage, JobRecord } from "@herdctl/core";
import type { ControlClient } from "@herdctl/core/internal";
import { lostWhileFollowing } from "../job-remote.js";
import type { ChatConnection, ChatTurn } from "./connection.js";

/** Chats run by the daemon, through its control socket (the same routes the dashboard uses). */
export class DaemonChat implements ChatConnection {
  readonly where = "through the daemon";

  constructor(private readonly client: ControlClient) {}

  async create(agent: string): Promise<ChatRecord> {
    return (
      await this.client.call<{ chat: ChatRecord }>("POST", "/api/chats", { agent, surface: "terminal" })
    ).chat;
  }

  chat(id: string): Promise<{ chat: ChatRecord; messages: ChatMessageRecord[] }> {
    return this.client.call("GET", `/api/chats/${encodeURIComponent(id)}`);
  }

  async list(filter: { agent?: string }): Promise<ChatRecord[]> {
    const query = filter.agent === undefined ? "" : `?agent=${encodeURIComponent(filter.agent)}`;
    return (await this.client.call<{ chats: ChatRecord[] }>("GET", `/api/chats${query}`)).chats;
  }

  async rename(id: string, title: string): Promise<ChatRecord> {
    return (
      await this.client.call<{ chat: ChatRecord }>("PATCH", `/api/chats/${encodeURIComponent(id)}`, { title })
    ).chat;
  }

  async remove(id: string): Promise<void> {
    await this.client.call("DELETE", `/api/chats/${encodeURIComponent(id)}`);
  }

  async send(
    id: string,
    text: string,
    onMessage: (message: JobMessage) => void,
    signal?: AbortSignal,
  ): Promise<ChatTurn> {
    const { chat, job } = await this.client.call<{ chat: ChatRecord; job: JobRecord }>(
      "POST",
      `/api/chats/${encodeURIComponent(id)}/messages`,
      { text },
    );
    // A turn is a job: its output follows like `logs -f --job`, keep-alives included, so a
    // model that thinks for minutes does not look like a dead daemon.
    try {
      for await (const line of this.client.lines<{ message: JobMessage }>(
        `/api/jobs/${job.id}/output?follow=1`,
        signal,
      ))
        onMessage(line.message);
    } catch (error) {
      throw lostWhileFollowing(job.id, error);
    }
    if (signal?.aborted) return { chat, job };
    const { job: final } = await this.client.call<{ job: JobRecord }>("POST", `/api/jobs/${job.id}/wait`);
    return { chat, job: final };
  }

  async interrupt(id: string): Promise<void> {
    await this.client.call("POST", `/api/chats/${encodeURIComponent(id)}/interrupt`);
  }

  async close(): Promise<void> {}
}
