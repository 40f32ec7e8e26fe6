/**
 * One turn's presence in a Slack thread: a "working" message posted at once and edited while the
 * agent works (so a long silent turn still shows life), then replaced by the answer, split into
 * as many thread replies as Slack's limits need.
 */

import { withoutBroadcasts } from "./mrkdwn.js";

/** The two Web API calls a reply needs; bolt's WebClient has them (and honours 429 itself). */
export interface SlackPoster {
  chat: {
    postMessage(args: {
      channel: string;
      text: string;
      thread_ts?: string;
      mrkdwn?: boolean;
    }): Promise<{ ts?: string }>;
    update(args: { channel: string; ts: string; text: string }): Promise<unknown>;
  };
}

export interface ThreadReplyOptions {
  channel: string;
  /** Undefined: answer in the channel itself (a direct message outside a thread). */
  threadTs: string | undefined;
  /** How often the working message is refreshed while nothing else happens. */
  heartbeatMs: number;
  /** Splits the answer into messages Slack accepts. */
  split: (text: string) => string[];
  /** List the tools the agent used under the answer. */
  showTools: boolean;
  /** Report failures in plain words in the thread (otherwise only the working message ends). */
  showErrors: boolean;
  /** Where a failure to reach Slack is reported; never thrown into the turn. */
  warn: (message: string) => void;
}

export class ThreadReply {
  private ts: string | undefined;
  private readonly started = Date.now();
  private readonly tools = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  // One Web API call at a time: a heartbeat must never overtake the final answer.
  private queue: Promise<unknown> = Promise.resolve();
  private done = false;

  constructor(
    private readonly client: SlackPoster,
    private readonly options: ThreadReplyOptions,
  ) {}

  /** Posts the working message and starts refreshing it. */
  begin(): Promise<void> {
    this.timer = setInterval(() => this.refresh(), this.options.heartbeatMs);
    this.timer.unref();
    return this.enqueue(async () => {
      const posted = await this.client.chat.postMessage(this.target(this.workingText()));
      this.ts = posted.ts;
    });
  }

  /** A tool call: counted for the summary and shown in the working message. */
  toolUsed(name: string): void {
    this.tools.set(name, (this.tools.get(name) ?? 0) + 1);
    this.refresh();
  }

  /** The answer replaces the working message; what does not fit follows as replies. */
  finish(text: string): Promise<void> {
    const footer = this.options.showTools ? this.toolSummary() : "";
    const body = withoutBroadcasts(text.trim()) || "_(The agent finished without a reply.)_";
    return this.end(this.options.split(footer ? `${body}\n\n${footer}` : body));
  }

  /** Ends the turn with a plain-words failure. */
  fail(message: string): Promise<void> {
    return this.end([
      this.options.showErrors ? `:warning: ${message}` : "_The agent could not answer this time._",
    ]);
  }

  private end(chunks: string[]): Promise<void> {
    this.done = true;
    clearInterval(this.timer);
    return this.enqueue(async () => {
      const [first = "", ...rest] = chunks;
      if (this.ts) await this.client.chat.update({ channel: this.options.channel, ts: this.ts, text: first });
      else await this.client.chat.postMessage(this.target(first));
      for (const chunk of rest) await this.client.chat.postMessage(this.target(chunk));
    });
  }

  private refresh(): void {
    if (this.done) return;
    void this.enqueue(async () => {
      if (!this.ts || this.done) return;
      await this.client.chat.update({ channel: this.options.channel, ts: this.ts, text: this.workingText() });
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step).catch((error: unknown) => {
      this.options.warn(`could not post to Slack channel ${this.options.channel}: ${describe(error)}`);
    });
    this.queue = next;
    return next;
  }

  private target(text: string): { channel: string; text: string; thread_ts?: string } {
    return {
      channel: this.options.channel,
      text,
      ...(this.options.threadTs ? { thread_ts: this.options.threadTs } : {}),
    };
  }

  private workingText(): string {
    const seconds = Math.round((Date.now() - this.started) / 1000);
    const elapsed =
      seconds < 5
        ? ""
        : ` (${seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`})`;
    const tools = this.tools.size > 0 ? ` ${this.toolSummary()}` : "";
    return `:hourglass_flowing_sand: _Working on it…${elapsed}_${tools}`;
  }

  private toolSummary(): string {
    if (this.tools.size === 0) return "";
    const used = [...this.tools].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(", ");
    return `_Tools used: ${used}_`;
  }
}

/** Slack's error code when there is one (never the request, which carries the token). */
function describe(error: unknown): string {
  const data = (error as { data?: { error?: string } })?.data;
  if (data?.error) return data.error;
  return error instanceof Error ? error.message : String(error);
}
