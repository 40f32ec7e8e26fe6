import type { AuditActor } from "../audit/actor.js";
import type { ResolvedAgent } from "../config/index.js";
import { FleetError } from "../fleet-manager/errors.js";
import type { FleetEventBus, JobMessage } from "../fleet-manager/events.js";
import type { JobRequest } from "../runner/job-executor.js";
import type { SessionRequest } from "../runner/session-policy.js";
import type { ApprovalRecord, JobRecord, StateManager, StoredChat } from "../state/index.js";
import { isTerminalStatus } from "../state/index.js";
import { assembleTurn } from "./assemble.js";
import { expiryNotice, isChatExpired } from "./expiry.js";
import { LIVE_IDLE_MS, LiveProcesses } from "./live-processes.js";
import {
  CHAT_SURFACES,
  type ChatMessageRecord,
  type ChatRecord,
  type ChatSettings,
  type ChatSurface,
} from "./types.js";

/** Longest chat message accepted: the same bound as a trigger's prompt. */
export const MAX_CHAT_MESSAGE_CHARS = 1_000_000;
const MAX_TITLE_CHARS = 200;
const DEFAULT_TITLE_CHARS = 60;

export interface ChatServiceDeps {
  state: StateManager;
  events: FleetEventBus;
  now: () => Date;
  /** The agent as resolved; throws FleetError for an unknown one. */
  agent: (name: string) => ResolvedAgent;
  settings: () => ChatSettings;
  /** The fleet's admission: a turn is a job like any other. */
  submit: (request: JobRequest) => JobRecord;
  cancel: (jobId: string) => Promise<JobRecord>;
  forward: (jobId: string, onMessage: (message: JobMessage) => void) => void;
  log?: (line: string) => void;
}

/** What `sendChatMessage` may set. */
export interface ChatSendOptions {
  /** What a message sent during a running turn does: wait behind it (default) or interrupt it. */
  whileBusy?: "queue" | "interrupt";
  onMessage?: (message: JobMessage) => void;
  /** Who sent it, for the audit trail (default: the embedding program). */
  actor?: AuditActor;
  /** The chat's own idle limit, for a platform connector's (chat.discord.session_expiry_hours); default the fleet's. */
  sessionExpiryHours?: number;
}

function notFound(id: string): FleetError {
  return new FleetError(
    "CHAT_NOT_FOUND",
    `no chat ${JSON.stringify(id.slice(0, 80))}; list the chats (GET /api/chats) for their ids`,
  );
}

function bad(message: string): FleetError {
  return new FleetError("CHAT_BAD_REQUEST", message);
}

function titleFrom(text: string, max: number): string {
  const line = text.trim().replace(/\s+/g, " ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * Chats on top of the fleet's jobs: each message is a turn, submitted as a job (trigger type
 * chat) in the chat's own lane so turns of one chat run one after another, continuing the chat's
 * session. When a turn ends its stream becomes the chat's assistant messages.
 */
export class ChatService {
  /** Turns in flight per chat, oldest first: the head runs (or waits for a slot), the rest queue. */
  private readonly inflight = new Map<string, string[]>();
  private readonly chatOfJob = new Map<string, string>();
  private readonly live: LiveProcesses;

  constructor(private readonly deps: ChatServiceDeps) {
    // An expired chat's next turn starts a new session anyway: its process need not outlive that.
    const idleMs = () => Math.min(LIVE_IDLE_MS, deps.settings().sessionExpiryHours * 3_600_000);
    this.live = new LiveProcesses({ idleMs, log: deps.log });
  }

  /** Ends every kept claude process; for the fleet's stop, after its jobs have ended. */
  close(): Promise<void> {
    return this.live.closeAll();
  }

  create(agentName: string, options: { title?: string; surface?: ChatSurface } = {}): ChatRecord {
    const agent = this.deps.agent(agentName);
    const surface = options.surface ?? "api";
    if (!CHAT_SURFACES.includes(surface))
      throw bad(`surface ${JSON.stringify(surface)} is not one of ${CHAT_SURFACES.join(", ")}`);
    const title = options.title === undefined ? "" : this.checkTitle(options.title);
    return this.announce(
      this.deps.state.chats.create({ agent: agent.name, title, surface }, this.deps.now()),
    );
  }

  /**
   * The chat a platform conversation (`key`, e.g. discord:<channel>) continues: its newest one,
   * or a new one when it has none or its last went idle longer than `expiryHours`. An expired
   * chat stays in the history; the new one starts a new session.
   */
  linked(agentName: string, key: string, surface: ChatSurface, expiryHours?: number): ChatRecord {
    const agent = this.deps.agent(agentName);
    const current = this.deps.state.chats.linked(agent.name, key);
    const hours = expiryHours ?? this.deps.settings().sessionExpiryHours;
    const busy = current !== undefined && (this.inflight.get(current.id)?.length ?? 0) > 0;
    if (current && (busy || !isChatExpired(current.lastActiveAt, hours, this.deps.now())))
      return this.record(current);
    return this.announce(
      this.deps.state.chats.create(
        { agent: agent.name, title: "", surface, externalKey: key },
        this.deps.now(),
      ),
    );
  }

  list(filter: { agent?: string; surface?: ChatSurface; limit?: number } = {}): ChatRecord[] {
    return this.deps.state.chats.list(filter).map((c) => this.record(c));
  }

  get(id: string): ChatRecord {
    return this.record(this.stored(id));
  }

  messages(id: string): ChatMessageRecord[] {
    this.stored(id);
    return this.deps.state.chats.messages(id);
  }

  rename(id: string, title: string): ChatRecord {
    this.stored(id);
    this.deps.state.chats.rename(id, this.checkTitle(title));
    return this.announce(this.stored(id));
  }

  async delete(id: string): Promise<void> {
    this.stored(id);
    // Queued turns first, so none starts while the running one is being stopped.
    for (const jobId of [...(this.inflight.get(id) ?? [])].reverse()) await this.cancelTurn(jobId);
    this.deps.state.chats.delete(id);
    this.inflight.delete(id);
    await this.live.close(id);
    this.deps.events.emit("chat:deleted", { id });
  }

  send(id: string, text: string, options: ChatSendOptions = {}): { chat: ChatRecord; job: JobRecord } {
    const chat = this.stored(id);
    if (typeof text !== "string" || text.trim() === "") throw bad("the message is empty; send some text");
    if (text.length > MAX_CHAT_MESSAGE_CHARS)
      throw bad(`the message is ${text.length} characters; the limit is ${MAX_CHAT_MESSAGE_CHARS}`);
    const agent = this.deps.agent(chat.agent);
    const busy = this.inflight.get(id) ?? [];
    const waiting = this.pendingApprovals(id)[0];
    if (waiting && options.whileBusy !== "interrupt") {
      // Queued behind a paused turn, the message could wait for hours without a word.
      throw new FleetError(
        "CHAT_WAITING_APPROVAL",
        `the agent is waiting for approval ${waiting.id} (${waiting.tool}); answer it first ` +
          `(approve ${waiting.id} [reason] or deny ${waiting.id} [reason]), or interrupt the turn`,
      );
    }
    if (busy.length > 0 && options.whileBusy === "interrupt") {
      // The new turn queues in the chat's lane and starts once the interrupted one has ended.
      for (const jobId of [...busy]) void this.cancelTurn(jobId);
    }
    const sessionExpiryHours = options.sessionExpiryHours ?? this.deps.settings().sessionExpiryHours;
    const expired =
      busy.length === 0 && isChatExpired(chat.lastActiveAt, sessionExpiryHours, this.deps.now());
    const job = this.deps.submit({
      agent,
      prompt: text,
      triggerType: "chat",
      session: () => this.sessionFor(id, expired, sessionExpiryHours),
      sessionOwner: "chat",
      lane: `chat:${id}`,
      conversation: this.live.host(id),
    });
    this.inflight.set(id, [...(this.inflight.get(id) ?? []), job.id]);
    this.chatOfJob.set(job.id, id);
    // The job's prompt is the message as stored: secrets the fleet knows are already redacted.
    this.deps.state.chats.addMessage(id, { jobId: job.id, role: "user", text: job.prompt }, this.deps.now());
    if (chat.title === "") this.deps.state.chats.rename(id, titleFrom(job.prompt, DEFAULT_TITLE_CHARS));
    if (options.onMessage) this.deps.forward(job.id, options.onMessage);
    return { chat: this.announce(this.stored(id)), job };
  }

  /** The requests a turn of this chat waits on, oldest first. */
  pendingApprovals(id: string): ApprovalRecord[] {
    return (this.inflight.get(id) ?? []).flatMap((jobId) =>
      this.deps.state.approvals.list({ state: "pending", jobId }).reverse(),
    );
  }

  /** The chat whose turn made a request, if a chat's did. */
  chatOfApproval(record: ApprovalRecord): string | undefined {
    return this.chatOfJob.get(record.jobId);
  }

  /** The chat a platform conversation is linked to, without making one. */
  linkedId(agentName: string, key: string): string | undefined {
    return this.deps.state.chats.linked(agentName, key)?.id;
  }

  /** Cancels the running turn; turns queued behind it go on. */
  async interrupt(id: string): Promise<JobRecord | undefined> {
    this.stored(id);
    const head = this.inflight.get(id)?.[0];
    return head === undefined ? undefined : this.cancelTurn(head);
  }

  /** Called for every job that ends: a chat turn's stream becomes the chat's messages. */
  turnEnded(job: JobRecord): void {
    const chatId = this.chatOfJob.get(job.id);
    if (chatId === undefined) return;
    this.chatOfJob.delete(job.id);
    const rest = (this.inflight.get(chatId) ?? []).filter((j) => j !== job.id);
    if (rest.length) this.inflight.set(chatId, rest);
    else this.inflight.delete(chatId);
    const chats = this.deps.state.chats;
    if (!chats.get(chatId)) return;
    // The session claude reported; a turn that never started has none and leaves the chat's as it was.
    if (job.sessionId !== null && job.startedAt !== null) chats.setSession(chatId, job.sessionId);
    const stream = this.deps.state.readJobOutput(job.id).map((l) => l.message as JobMessage);
    for (const message of assembleTurn(stream, { jobId: job.id, costUsd: job.costUsd }))
      chats.addMessage(chatId, message, this.deps.now());
    this.announce(chats.get(chatId)!);
  }

  /** Which session a turn runs in, decided when it starts (after the turn before it has ended). */
  private sessionFor(id: string, expired: boolean, hours: number): SessionRequest {
    const chat = this.deps.state.chats.get(id);
    const sessionId = chat?.sessionId ?? null;
    if (sessionId === null) return { mode: "fresh" };
    if (expired) {
      this.deps.state.chats.setSession(id, null);
      return { mode: "fresh", notice: expiryNotice(sessionId, hours) };
    }
    return { mode: "resume", sessionId };
  }

  private async cancelTurn(jobId: string): Promise<JobRecord | undefined> {
    try {
      return await this.deps.cancel(jobId);
    } catch (error) {
      // It ended on its own in the meantime.
      const job = this.deps.state.jobs.get(jobId);
      if (job && isTerminalStatus(job.status)) return job;
      throw error;
    }
  }

  private checkTitle(title: string): string {
    if (typeof title !== "string" || title.trim() === "")
      throw bad("the title is empty; give the chat a name");
    const clean = title.trim().replace(/\s+/g, " ");
    if (clean.length > MAX_TITLE_CHARS)
      throw bad(`the title is ${clean.length} characters; the limit is ${MAX_TITLE_CHARS}`);
    return clean;
  }

  private stored(id: string): StoredChat {
    const chat = this.deps.state.chats.get(id);
    if (!chat) throw notFound(String(id));
    return chat;
  }

  private record(chat: StoredChat): ChatRecord {
    return {
      id: chat.id,
      agent: chat.agent,
      title: chat.title,
      surface: chat.surface,
      sessionId: chat.sessionId,
      createdAt: chat.createdAt,
      lastActiveAt: chat.lastActiveAt,
      expired: isChatExpired(chat.lastActiveAt, this.deps.settings().sessionExpiryHours, this.deps.now()),
      turns: chat.turns,
      costUsd: chat.costUsd,
      lastMessage: chat.lastMessage,
      runningJobId: this.inflight.get(chat.id)?.[0] ?? null,
    };
  }

  private announce(chat: StoredChat): ChatRecord {
    const record = this.record(chat);
    this.deps.events.emit("chat:updated", { chat: record });
    return record;
  }
}
