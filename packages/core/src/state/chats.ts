import type { ChatMessageRecord, ChatSurface, ChatToolCall } from "../chat/types.js";
import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName, assertSessionId, isChatId, mintChatId } from "./ids.js";

/** A chat as stored; what depends on the clock or on turns in flight is added by the chat service. */
export interface StoredChat {
  readonly id: string;
  readonly agent: string;
  readonly title: string;
  readonly surface: ChatSurface;
  readonly sessionId: string | null;
  readonly createdAt: string;
  readonly lastActiveAt: string;
  readonly lastMessage: string | null;
  readonly turns: number;
  readonly costUsd: number | null;
}

export interface NewChatMessage {
  readonly jobId: string | null;
  readonly role: "user" | "assistant";
  readonly text: string;
  readonly toolCalls?: readonly ChatToolCall[];
  readonly usage?: { inputTokens: number; outputTokens: number } | null;
  readonly costUsd?: number | null;
}

interface ChatRow {
  id: string;
  agent: string;
  title: string;
  surface: ChatSurface;
  session_id: string | null;
  created_at: string;
  last_active_at: string;
  last_message: string | null;
  turns: number;
  cost_usd: number | null;
}

interface MessageRow {
  id: number;
  chat_id: string;
  job_id: string | null;
  role: "user" | "assistant";
  text: string;
  tool_calls: string;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  created_at: string;
}

/** Turns count the user's messages; cost sums what the turns' assistant messages recorded. */
const SELECT_CHAT = `SELECT c.*,
    (SELECT COUNT(*) FROM chat_messages m WHERE m.chat_id = c.id AND m.role = 'user') AS turns,
    (SELECT SUM(m.cost_usd) FROM chat_messages m WHERE m.chat_id = c.id) AS cost_usd
  FROM chats c`;

/** How much of the last text a chat list shows. */
const PREVIEW_CHARS = 200;

function toChat(row: ChatRow): StoredChat {
  return {
    id: row.id,
    agent: row.agent,
    title: row.title,
    surface: row.surface,
    sessionId: row.session_id,
    createdAt: row.created_at,
    lastActiveAt: row.last_active_at,
    lastMessage: row.last_message,
    turns: row.turns,
    costUsd: row.cost_usd,
  };
}

function toMessage(row: MessageRow): ChatMessageRecord {
  return {
    id: row.id,
    chatId: row.chat_id,
    jobId: row.job_id,
    role: row.role,
    text: row.text,
    toolCalls: JSON.parse(row.tool_calls) as ChatToolCall[],
    usage:
      row.input_tokens === null && row.output_tokens === null
        ? null
        : { inputTokens: row.input_tokens ?? 0, outputTokens: row.output_tokens ?? 0 },
    costUsd: row.cost_usd,
    createdAt: row.created_at,
  };
}

/**
 * The `chats` and `chat_messages` tables. Ids are checked before any query: a bad one finds
 * nothing. Times come from the caller, so a chat's idle time runs on the fleet's clock.
 */
export class ChatRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
  ) {}

  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }

  create(
    input: { agent: string; title: string; surface: ChatSurface; externalKey?: string },
    now: Date,
  ): StoredChat {
    assertAgentName(input.agent);
    const id = mintChatId();
    const at = now.toISOString();
    this.write(() =>
      this.db
        .prepare(
          "INSERT INTO chats (id, agent, title, surface, created_at, last_active_at, external_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .run(id, input.agent, input.title, input.surface, at, at, input.externalKey ?? null),
    );
    return this.get(id)!;
  }

  /** The agent's newest chat linked to a platform conversation (see ChatService.linked). */
  linked(agent: string, externalKey: string): StoredChat | undefined {
    assertAgentName(agent);
    const row = this.db
      .prepare(
        `${SELECT_CHAT} WHERE c.agent = ? AND c.external_key = ? ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1`,
      )
      .get(agent, externalKey) as ChatRow | undefined;
    return row === undefined ? undefined : toChat(row);
  }

  get(id: string): StoredChat | undefined {
    if (!isChatId(id)) return undefined;
    const row = this.db.prepare(`${SELECT_CHAT} WHERE c.id = ?`).get(id) as ChatRow | undefined;
    return row === undefined ? undefined : toChat(row);
  }

  /** Newest activity first. */
  list(filter: { agent?: string; surface?: ChatSurface; limit?: number } = {}): StoredChat[] {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (filter.agent !== undefined) {
      where.push("c.agent = ?");
      values.push(assertAgentName(filter.agent));
    }
    if (filter.surface !== undefined) {
      where.push("c.surface = ?");
      values.push(filter.surface);
    }
    const sql = `${SELECT_CHAT}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
      ORDER BY c.last_active_at DESC, c.id${filter.limit === undefined ? "" : " LIMIT ?"}`;
    if (filter.limit !== undefined) values.push(filter.limit);
    return (this.db.prepare(sql).all(...values) as ChatRow[]).map(toChat);
  }

  rename(id: string, title: string): void {
    this.write(() => this.db.prepare("UPDATE chats SET title = ? WHERE id = ?").run(title, id));
  }

  /** The session the chat's next turn resumes; null to start a fresh one. */
  setSession(id: string, sessionId: string | null): void {
    if (sessionId !== null) assertSessionId(sessionId);
    this.write(() => this.db.prepare("UPDATE chats SET session_id = ? WHERE id = ?").run(sessionId, id));
  }

  /** Deletes the chat and its messages; the turns' job records stay in the history. */
  delete(id: string): boolean {
    return this.write(() => this.db.prepare("DELETE FROM chats WHERE id = ?").run(id).changes > 0);
  }

  /** Appends a message; the chat becomes active now, and a message with text becomes its preview. */
  addMessage(chatId: string, message: NewChatMessage, now: Date): ChatMessageRecord {
    const at = now.toISOString();
    const preview = message.text.trim() === "" ? null : message.text.trim().slice(0, PREVIEW_CHARS);
    const id = this.write(() =>
      this.db.transaction(() => {
        const info = this.db
          .prepare(
            `INSERT INTO chat_messages (chat_id, job_id, role, text, tool_calls, input_tokens, output_tokens, cost_usd, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            chatId,
            message.jobId,
            message.role,
            message.text,
            JSON.stringify(message.toolCalls ?? []),
            message.usage?.inputTokens ?? null,
            message.usage?.outputTokens ?? null,
            message.costUsd ?? null,
            at,
          );
        this.db
          .prepare(
            "UPDATE chats SET last_active_at = ?, last_message = COALESCE(?, last_message) WHERE id = ?",
          )
          .run(at, preview, chatId);
        return Number(info.lastInsertRowid);
      })(),
    );
    const row = this.db.prepare("SELECT * FROM chat_messages WHERE id = ?").get(id) as MessageRow;
    return toMessage(row);
  }

  /** Oldest first. */
  messages(chatId: string): ChatMessageRecord[] {
    if (!isChatId(chatId)) return [];
    const rows = this.db
      .prepare("SELECT * FROM chat_messages WHERE chat_id = ? ORDER BY id")
      .all(chatId) as MessageRow[];
    return rows.map(toMessage);
  }

  /** The chat a turn's job belongs to, read from the turn's user message. */
  chatOfJob(jobId: string): string | undefined {
    const row = this.db
      .prepare("SELECT chat_id FROM chat_messages WHERE job_id = ? AND role = 'user'")
      .get(jobId) as { chat_id: string } | undefined;
    return row?.chat_id;
  }
}
