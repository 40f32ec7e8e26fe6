import type { AuditActor } from "../../audit/actor.js";
import type { JobMessage } from "../../fleet-manager/events.js";
import type { ApprovalRecord, JobRecord } from "../../state/index.js";
import type { ChatSendOptions } from "../service.js";
import type { ChatRecord } from "../types.js";
import { summarizeTool } from "./tool-summary.js";

/** One message from a chat platform, to be answered by an agent in the conversation it belongs to. */
export interface TurnRequest {
  agent: string;
  /** The conversation on its platform, e.g. `discord:<channel or thread id>`, `slack:<channel>:<thread_ts>`. */
  key: string;
  surface: "discord" | "slack";
  /** What the chat user wrote, with the bot's mention taken out. */
  text: string;
  /** Recent messages of the conversation (oldest first, "name: text"), sent with the first turn only. */
  context?: string[];
  /** After this long idle the conversation starts a new chat (and session); default the fleet's. */
  sessionExpiryHours?: number;
  /** Who wrote it, for the audit trail, e.g. { via: "discord", who: "user 123 in channel 456" }. */
  actor: AuditActor;
}

/** What a turn produced, in order; the stream ends after "done" or "error". */
export type TurnEvent =
  | { type: "started"; chatId: string; jobId: string }
  /** One assistant message's text, complete (claude streams whole content blocks). */
  | { type: "text"; text: string }
  /** A tool the agent called, in a line a chat user can read: name and what it aimed at. */
  | { type: "tool"; name: string; summary: string }
  /** A tool call of the turn waits for a person: post the request where the message came from. */
  | { type: "approval"; approval: ApprovalRecord }
  /** A request of the turn was decided, here or anywhere else (CLI, dashboard, the timeout). */
  | { type: "approval_decided"; approval: ApprovalRecord }
  | { type: "done"; costUsd: number | null; durationMs: number | null }
  /** The turn could not run or did not finish: plain words for the chat, never a trace or secret. */
  | { type: "error"; message: string };

/** The part of the fleet a turn needs. */
export interface TurnFleet {
  /** The chat linked to `key` for this agent, created (or replaced, once expired) as needed. */
  linkedChat(agent: string, key: string, surface: "discord" | "slack", expiryHours?: number): ChatRecord;
  sendChatMessage(id: string, text: string, options: ChatSendOptions): { chat: ChatRecord; job: JobRecord };
  wait(jobId: string): Promise<JobRecord>;
  /** Follows one job's approval requests and decisions; returns the unsubscribe. */
  onApproval(jobId: string, listener: (record: ApprovalRecord, decided: boolean) => void): () => void;
}

/** How a turn that did not complete is told to the chat user. */
const ENDINGS: Record<string, string> = {
  timeout: "the agent ran out of time before it finished",
  inactivity: "the agent went quiet for too long and was stopped",
  cancelled: "the turn was cancelled",
  interrupted: "the fleet stopped while the agent was working",
  max_turns: "the agent reached its turn limit before it finished",
  budget: "the agent's budget is spent; an operator can raise it",
  api_error: "the agent could not reach its model; try again in a while",
  no_result: "the agent stopped without an answer",
};

function endingOf(job: JobRecord): string {
  return `Sorry, ${ENDINGS[job.exitReason ?? ""] ?? "the agent failed while working on this"}.`;
}

function withContext(text: string, context: string[] | undefined): string {
  if (!context?.length) return text;
  // Quoted so the agent reads the channel as what others said, not as instructions from the user.
  const quoted = context.map((line) => `> ${line.replaceAll("\n", "\n> ")}`).join("\n");
  return `Recent messages in this conversation (for context, written by chat users):\n${quoted}\n\n${text}`;
}

/** A push queue read as an async iterable: the fleet's callbacks push, the connector reads. */
class EventQueue implements AsyncIterable<TurnEvent> {
  private readonly items: TurnEvent[] = [];
  private waiting: (() => void) | undefined;
  private ended = false;

  push(event: TurnEvent): void {
    if (this.ended) return;
    this.items.push(event);
    if (event.type === "done" || event.type === "error") this.ended = true;
    this.waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TurnEvent> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        if (next.type === "done" || next.type === "error") return;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
  }
}

function eventsOf(message: JobMessage): TurnEvent[] {
  if (message.type !== "assistant") return [];
  const content = (message.message as { content?: unknown }).content;
  if (!Array.isArray(content)) return [];
  const events: TurnEvent[] = [];
  for (const block of content as Array<{ type?: string; text?: unknown; name?: unknown; input?: unknown }>) {
    if (block?.type === "text" && typeof block.text === "string" && block.text.trim() !== "")
      events.push({ type: "text", text: block.text });
    if (block?.type === "tool_use") {
      const name = String(block.name);
      events.push({ type: "tool", name, summary: summarizeTool(name, block.input) });
    }
  }
  return events;
}

/**
 * Runs one chat turn for a platform connector: finds the conversation's chat, sends the text
 * through the chat core (a job like any other, in the chat's lane, on the chat's session) and
 * streams what the agent says and does until the turn ends.
 */
export function runTurn(fleet: TurnFleet, request: TurnRequest): AsyncIterable<TurnEvent> {
  const queue = new EventQueue();
  let chat: ChatRecord;
  let job: JobRecord;
  try {
    chat = fleet.linkedChat(request.agent, request.key, request.surface, request.sessionExpiryHours);
    const text = chat.turns === 0 ? withContext(request.text, request.context) : request.text;
    ({ job } = fleet.sendChatMessage(chat.id, text, {
      actor: request.actor,
      sessionExpiryHours: request.sessionExpiryHours,
      onMessage: (message) => {
        for (const event of eventsOf(message)) queue.push(event);
      },
    }));
  } catch (error) {
    // FleetErrors are written for people (a spent budget, a full queue); anything else is not.
    const message = (error as { code?: unknown }).code
      ? (error as Error).message
      : "the agent could not take this message";
    queue.push({ type: "error", message: `Sorry, ${message}.`.replace(/\.\.$/, ".") });
    return queue;
  }
  queue.push({ type: "started", chatId: chat.id, jobId: job.id });
  const unfollow = fleet.onApproval(job.id, (approval, decided) =>
    queue.push({ type: decided ? "approval_decided" : "approval", approval }),
  );
  const ended = fleet.wait(job.id);
  void ended.finally(unfollow).catch(() => {});
  ended.then(
    (ended) => {
      if (ended.status === "completed") {
        const durationMs =
          ended.startedAt && ended.finishedAt
            ? new Date(ended.finishedAt).getTime() - new Date(ended.startedAt).getTime()
            : null;
        queue.push({ type: "done", costUsd: ended.costUsd, durationMs });
      } else queue.push({ type: "error", message: endingOf(ended) });
    },
    () => queue.push({ type: "error", message: "Sorry, the agent failed while working on this." }),
  );
  return queue;
}
