import type {
  ConversationHost,
  LiveConversation,
  RuntimeExecuteOptions,
  RuntimeInterface,
  RuntimeMessage,
} from "../runner/runtime/interface.js";

/**
 * How long a chat's claude process may sit idle before it is ended. Far shorter than
 * web.session_expiry_hours (a day by default): an idle claude holds a few hundred MB, while
 * resuming the session in a new process costs only its start-up. The session itself lives on.
 */
export const LIVE_IDLE_MS = 10 * 60_000;

/** Tools whose timers live in the claude process; herdctl keeps them instead (docs/wakes.md). */
const TIMER_TOOLS = new Set(["ScheduleWakeup", "CronCreate"]);

interface Kept {
  conversation: LiveConversation;
  /** The session the process is in: a turn that continues another session needs another process. */
  sessionId: string | undefined;
  /** What the process was started with; a reload that changes it needs a new process. */
  startedWith: string;
  idle: NodeJS.Timeout | undefined;
}

/**
 * The kept claude processes of active chats, one per chat. A turn that continues the session its
 * chat's process holds is written to that process; otherwise (first turn, the process died or was
 * reaped, the agent's config changed, a fresh session) a new process is opened, resuming the
 * session when there is one. Runtimes that cannot keep a process run one per turn.
 */
export class LiveProcesses {
  private readonly kept = new Map<string, Kept>();
  private closing = false;

  constructor(private readonly options: { idleMs?: () => number; log?: (line: string) => void } = {}) {}

  /** The host a chat's turns run through. */
  host(key: string): ConversationHost {
    return { run: (runtime, options) => this.run(key, runtime, options) };
  }

  /** Live processes by key, for status and tests. */
  get size(): number {
    return this.kept.size;
  }

  async *run(
    key: string,
    runtime: RuntimeInterface,
    options: RuntimeExecuteOptions,
  ): AsyncGenerator<RuntimeMessage> {
    if (!runtime.open || this.closing || options.fork) {
      yield* runtime.execute(options);
      return;
    }
    const startedWith = JSON.stringify([runtime.type, options.agent, options.env, options.settings]);
    let kept = this.kept.get(key);
    if (kept) clearTimeout(kept.idle);
    const reusable =
      kept &&
      !kept.conversation.closed &&
      options.resume !== undefined &&
      kept.sessionId === options.resume &&
      kept.startedWith === startedWith;
    if (kept && !reusable) {
      await this.close(key);
      kept = undefined;
    }
    if (kept) options.onSpawn?.({ pid: kept.conversation.pid });
    else {
      const conversation = await runtime.open(options);
      kept = { conversation, sessionId: options.resume ?? options.sessionId, startedWith, idle: undefined };
      this.kept.set(key, kept);
    }
    let timers = false;
    let done = false;
    try {
      for await (const message of kept.conversation.turn(options.prompt, options)) {
        if (message.type === "system" && message.subtype === "init") kept.sessionId = message.session_id;
        if (message.type === "result") kept.sessionId = message.session_id;
        if (message.type === "assistant")
          timers ||= message.message.content.some((b) => b.type === "tool_use" && TIMER_TOOLS.has(b.name));
        if (message.type === "result") done = true;
        yield message;
      }
    } finally {
      if (!done || timers || kept.conversation.closed || this.closing) await this.close(key);
      else this.armIdle(key, kept);
    }
  }

  /** Ends one chat's process (a deleted chat). */
  async close(key: string): Promise<void> {
    const kept = this.kept.get(key);
    if (!kept) return;
    this.kept.delete(key);
    clearTimeout(kept.idle);
    await kept.conversation.close();
  }

  /** Ends every kept process: the daemon is stopping. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.kept.keys()].map((key) => this.close(key)));
  }

  private armIdle(key: string, kept: Kept): void {
    const ms = this.options.idleMs?.() ?? LIVE_IDLE_MS;
    kept.idle = setTimeout(() => {
      if (this.kept.get(key) !== kept) return;
      this.options.log?.(
        `chat ${key}: claude idle for ${Math.round(ms / 1000)} s, ended (the next message resumes its session)`,
      );
      void this.close(key);
    }, ms);
    kept.idle.unref();
  }
}
