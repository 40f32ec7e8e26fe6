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

/** At most this many idle processes are kept fleet-wide; the longest idle is ended first. */
export const MAX_KEPT = 8;

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

  constructor(
    private readonly options: { idleMs?: () => number; maxKept?: number; log?: (line: string) => void } = {},
  ) {}

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
    // The approval rules are fixed in the process (claude's ask rules): new rules need a new one.
    const startedWith = JSON.stringify([
      runtime.type,
      options.agent,
      options.env,
      options.settings,
      options.approvals?.rules,
    ]);
    let kept = this.kept.get(key);
    if (kept) {
      clearTimeout(kept.idle);
      kept.idle = undefined;
      // Most recently used last: eviction walks the map from the front.
      this.kept.delete(key);
      this.kept.set(key, kept);
    }
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
    if (kept) {
      const { pid, containerId } = kept.conversation;
      if (containerId !== undefined) options.onContainer?.({ id: containerId, reused: true });
      options.onSpawn?.({ pid });
    } else kept = await this.open(key, runtime, options, startedWith);
    let timers = false;
    let done = false;
    let yielded = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          for await (const message of kept.conversation.turn(options.prompt, options)) {
            yielded = true;
            if (message.type === "system" && message.subtype === "init") kept.sessionId = message.session_id;
            if (message.type === "result") kept.sessionId = message.session_id;
            if (message.type === "assistant")
              timers ||= message.message.content.some(
                (b) => b.type === "tool_use" && TIMER_TOOLS.has(b.name),
              );
            if (message.type === "result") done = true;
            yield message;
          }
          break;
        } catch (error) {
          // A kept process that died between turns took nothing of this one: resume in a new process.
          if (yielded || attempt > 0 || options.signal.aborted) throw error;
          this.options.log?.(`chat ${key}: its kept claude had ended; resuming the session in a new process`);
          await this.close(key);
          kept = await this.open(key, runtime, options, startedWith);
        }
      }
    } finally {
      if (!done || timers || kept.conversation.closed || this.closing) await this.close(key);
      else this.armIdle(key, kept);
    }
  }

  private async open(
    key: string,
    runtime: RuntimeInterface,
    options: RuntimeExecuteOptions,
    startedWith: string,
  ): Promise<Kept> {
    this.evictBeyond(this.maxKept() - 1);
    const conversation = await runtime.open!(options);
    const kept: Kept = {
      conversation,
      sessionId: options.resume ?? options.sessionId,
      startedWith,
      idle: undefined,
    };
    this.kept.set(key, kept);
    return kept;
  }

  /** Ends the longest-idle processes until at most `limit` are kept; busy ones are never ended. */
  private evictBeyond(limit: number): void {
    for (const [key, kept] of this.kept) {
      if (this.kept.size <= limit) return;
      if (kept.idle === undefined) continue;
      this.options.log?.(
        `chat ${key}: more than ${this.maxKept()} claude processes kept; ended its idle one`,
      );
      void this.close(key);
    }
  }

  private maxKept(): number {
    return this.options.maxKept ?? MAX_KEPT;
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
