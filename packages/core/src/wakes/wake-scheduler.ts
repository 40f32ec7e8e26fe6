import type { ResolvedAgent } from "../config/index.js";
import type { JobRequest } from "../runner/job-executor.js";
import { DueTimer } from "../scheduler/due-timer.js";
import { type Clock, DEFAULT_CATCH_UP_WINDOW_MS } from "../scheduler/index.js";
import type { JobRecord, StateManager, WakeRecord } from "../state/index.js";
import { nextCronFire } from "./plan.js";
import { DEFAULT_WAKES } from "./record.js";

export interface WakeSchedulerOptions {
  readonly clock: Clock;
  readonly state: StateManager;
  readonly agent: (name: string) => ResolvedAgent | undefined;
  /** The fleet's one admission path: concurrency limits and queueing apply as to any job. */
  readonly submit: (request: JobRequest) => JobRecord;
  readonly log: (line: string) => void;
  /** A wake started a job. */
  readonly onFired?: (wake: WakeRecord, job: JobRecord) => void;
}

interface Item {
  readonly dueMs: number;
  readonly seq: number;
  readonly wakeId: string;
}

/**
 * Fires pending wakes from the state store on the fleet's clock. The store is the truth: each
 * fire re-reads its wake, so a cancel from another process (the CLI) is honoured.
 */
export class WakeScheduler {
  private readonly timer: DueTimer<Item>;
  private readonly armed = new Map<string, { seq: number; dueMs: number }>();
  private seq = 0;

  constructor(private readonly options: WakeSchedulerOptions) {
    this.timer = new DueTimer(options.clock, {
      isCurrent: (item) => this.armed.get(item.wakeId)?.seq === item.seq,
      onDue: (item) => {
        this.armed.delete(item.wakeId);
        this.due(item.wakeId);
      },
    });
  }

  /**
   * Arms every pending wake. One that fell due while nobody watched fires once now if it is no
   * older than a schedule's catch-up window (1 h), as a missed schedule does; an older one-shot
   * ends as missed and an older cron moves on to its next occurrence.
   */
  start(): void {
    this.timer.start();
    const now = this.options.clock.now();
    this.timer.batch(() => {
      for (const wake of this.options.state.wakes.pending()) {
        const due = Date.parse(wake.nextFireAt ?? "");
        if (Number.isNaN(due)) continue;
        if (due < now.getTime() && now.getTime() - due > DEFAULT_CATCH_UP_WINDOW_MS) {
          if (wake.kind === "once") {
            this.options.state.wakes.end(wake.id, "missed");
            this.options.log(
              `wake ${wake.id} of ${wake.agent} was due at ${wake.nextFireAt} while herdctl was stopped; missed`,
            );
            continue;
          }
          this.rearmAfter(wake, now);
          continue;
        }
        this.arm(wake.id, due);
      }
    });
  }

  stop(): void {
    this.armed.clear();
    this.timer.stop();
  }

  /** Arms pending wakes not yet armed (new ones a job just kept), and forgets ended ones. */
  refresh(agent?: string): void {
    if (!this.timer.running) return;
    const pending = this.options.state.wakes.pending(agent === undefined ? {} : { agent });
    this.timer.batch(() => {
      for (const wake of pending) {
        const due = Date.parse(wake.nextFireAt ?? "");
        if (!Number.isNaN(due) && this.armed.get(wake.id)?.dueMs !== due) this.arm(wake.id, due);
      }
    });
  }

  /** Cancels a pending wake; false when there is none by that id. */
  cancel(id: string): boolean {
    const ended = this.options.state.wakes.end(id, "cancelled");
    this.armed.delete(id);
    this.timer.refresh();
    return ended;
  }

  private arm(wakeId: string, dueMs: number): void {
    const entry = { seq: ++this.seq, dueMs };
    this.armed.set(wakeId, entry);
    this.timer.push({ dueMs, seq: entry.seq, wakeId });
  }

  /** The cron wake's next occurrence after `now`, or undefined once it would be past its expiry. */
  private nextOccurrence(wake: WakeRecord, now: Date): Date | undefined {
    const next = nextCronFire(wake.cron!, wake.timezone ?? "UTC", now);
    if (next === undefined || (wake.expiresAt !== null && next.getTime() > Date.parse(wake.expiresAt)))
      return undefined;
    return next;
  }

  /** nextOccurrence, ending the wake as expired when there is none. */
  private nextOf(wake: WakeRecord, now: Date): Date | undefined {
    const next = this.nextOccurrence(wake, now);
    if (next === undefined) {
      this.options.state.wakes.end(wake.id, "expired");
      this.options.log(`wake ${wake.id} of ${wake.agent} expired`);
    }
    return next;
  }

  private due(wakeId: string): void {
    const { state, log } = this.options;
    const wake = state.wakes.get(wakeId);
    if (wake?.status !== "pending") return;
    const now = this.options.clock.now();
    const agent = this.options.agent(wake.agent);
    if (agent === undefined || agent.wakes?.enabled === false) {
      state.wakes.end(wake.id, "cancelled");
      log(
        `wake ${wake.id} cancelled: agent ${wake.agent} ${agent ? "has wakes turned off" : "is no longer in the fleet"}`,
      );
      return;
    }
    let job: JobRecord;
    try {
      job = this.options.submit({
        agent,
        prompt: wake.prompt,
        triggerType: "wake",
        session: { mode: "resume", sessionId: wake.sessionId },
      });
    } catch (error) {
      // Refused (queue full, fleet stopping): a one-shot stays pending and is tried again at start.
      log(`wake ${wake.id} of ${wake.agent} could not start a job: ${(error as Error).message}`);
      if (wake.kind === "cron") this.rearmAfter(wake, now);
      return;
    }
    const minInterval = agent.wakes?.min_interval ?? DEFAULT_WAKES.min_interval;
    const next =
      wake.kind === "cron" ? this.nextOccurrence(wake, new Date(now.getTime() + minInterval - 1)) : undefined;
    const fired = state.wakes.fired(wake.id, job.id, next, wake.kind === "cron" ? "expired" : "done");
    if (next !== undefined) this.arm(wake.id, next.getTime());
    this.options.onFired?.(fired, job);
  }

  private rearmAfter(wake: WakeRecord, now: Date): void {
    const next = this.nextOf(wake, now);
    if (next === undefined) return;
    this.options.state.wakes.rearm(wake.id, next);
    this.arm(wake.id, next.getTime());
  }
}
