/** Where a chat is held: each surface is an adapter over the same chat core. */
export type ChatSurface = "web" | "terminal" | "api" | "discord" | "slack";

/** Every ChatSurface, for validating a surface named in a request. */
export const CHAT_SURFACES: readonly ChatSurface[] = ["web", "terminal", "api", "discord", "slack"];

/** A conversation with one agent, on the chat's own claude session. */
export interface ChatRecord {
  /** "c-" and 16 random characters; validated before it touches a query or a path. */
  id: string;
  agent: string;
  /** The first message, trimmed to 60 characters, until renamed. */
  title: string;
  surface: ChatSurface;
  /** The chat's own claude session; never the agent's job session. Null before the first turn. */
  sessionId: string | null;
  createdAt: string;
  lastActiveAt: string;
  /** Idle longer than web.session_expiry_hours: the next message starts a fresh session and says so. */
  expired: boolean;
  /** Messages sent (one per turn). */
  turns: number;
  /** Sum of the turns' cost; null when none was recorded (offline runs record none). */
  costUsd: number | null;
  /** A preview of the last text, from either side. */
  lastMessage: string | null;
  /** The turn in flight (running, or waiting for a slot), if any. */
  runningJobId: string | null;
}

/** A tool the agent called during a turn, with what it got back once the result arrived. */
export interface ChatToolCall {
  id: string;
  name: string;
  input: unknown;
  result?: string;
  isError?: boolean;
}

/** One message of a chat: what the user sent, or one assistant message of a turn. */
export interface ChatMessageRecord {
  id: number;
  chatId: string;
  /** The turn's job; null once that job's record was deleted. */
  jobId: string | null;
  role: "user" | "assistant";
  /** Markdown from the agent, or the user's text. */
  text: string;
  toolCalls: ChatToolCall[];
  usage: { inputTokens: number; outputTokens: number } | null;
  costUsd: number | null;
  createdAt: string;
}

/** The dashboard's chat settings, from the fleet's `web` block. */
export interface ChatSettings {
  sessionExpiryHours: number;
  toolResults: boolean;
  messageGrouping: "separate" | "grouped";
}
