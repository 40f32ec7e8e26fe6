import type { ChatMessageRecord, ChatRecord, JobMessage, JobRecord } from "@herdctl/core";

/**
 * What the terminal chat needs from herdctl, whether the daemon runs the turns (daemon-chat.ts)
 * or this process does (local-chat.ts). Both only translate to the fleet's chat methods.
 */
export interface ChatConnection {
  /** Said once at the start, so the user knows where the turns run. */
  readonly where: string;
  create(agent: string): Promise<ChatRecord>;
  chat(id: string): Promise<{ chat: ChatRecord; messages: ChatMessageRecord[] }>;
  list(filter: { agent?: string }): Promise<ChatRecord[]>;
  rename(id: string, title: string): Promise<ChatRecord>;
  remove(id: string): Promise<void>;
  /**
   * Sends one message and follows its turn: each message of the turn's job goes to `onMessage` as
   * it streams; resolves with the job's final record once the turn has ended. After `signal`
   * aborts (the user left), it stops following and resolves with the job as it was sent.
   */
  send(
    id: string,
    text: string,
    onMessage: (message: JobMessage) => void,
    signal?: AbortSignal,
  ): Promise<ChatTurn>;
  /** Stops the chat's running turn; the chat stays. */
  interrupt(id: string): Promise<void>;
  close(): Promise<void>;
}

export interface ChatTurn {
  chat: ChatRecord;
  job: JobRecord;
}
