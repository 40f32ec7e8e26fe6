import type { Clock, TimerHandle } from "./clock.js";
import { type DueItem, DueQueue } from "./due-queue.js";

/** setTimeout's ceiling (~24.8 days); a later item is reached by waking early and re-arming. */
const MAX_TIMER_MS = 2_147_483_647;

export interface DueTimerHooks<T extends DueItem> {
  /** False for an item superseded since it was pushed; it is dropped unseen. */
  isCurrent(item: T): boolean;
  /** An item fell due. Pushes made from here are batched into one timer change. */
  onDue(item: T, now: Date): void;
}

/**
 * Many due items, one clock timer: the timer is set for the earliest current item only, so the
 * cost of a schedule is a heap entry, not a timer. Superseded items are dropped lazily.
 */
export class DueTimer<T extends DueItem> {
  private readonly queue = new DueQueue<T>();
  private active = false;
  private batching = false;
  private timer?: TimerHandle;
  private timerDueMs?: number;
  /** Queue size after the last shedding of superseded items; shedding again at double keeps it amortised O(1). */
  private shedAt = 64;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: DueTimerHooks<T>,
  ) {}

  get running(): boolean {
    return this.active;
  }

  start(): void {
    this.active = true;
    this.refresh();
  }

  /** Drops every item and the timer. */
  stop(): void {
    this.active = false;
    this.queue.clear();
    this.clearTimer();
  }

  push(item: T): void {
    this.queue.push(item);
    this.refresh();
  }

  /** Runs `fn`, then sets the timer once for whatever it pushed. */
  batch(fn: () => void): void {
    if (this.batching) {
      fn();
      return;
    }
    this.batching = true;
    try {
      fn();
    } finally {
      this.batching = false;
    }
    this.refresh();
  }

  /** Sets the timer for the earliest current item. */
  refresh(): void {
    if (this.batching) return;
    if (!this.active) {
      this.clearTimer();
      return;
    }
    if (this.queue.size > this.shedAt) {
      this.queue.retain((item) => this.hooks.isCurrent(item));
      this.shedAt = Math.max(64, 2 * this.queue.size);
    }
    let top = this.queue.peek();
    while (top !== undefined && !this.hooks.isCurrent(top)) {
      this.queue.pop();
      top = this.queue.peek();
    }
    if (top === undefined) {
      this.clearTimer();
      return;
    }
    if (this.timer !== undefined && this.timerDueMs === top.dueMs) return;
    this.clearTimer();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, top.dueMs - this.clock.now().getTime()));
    this.timerDueMs = top.dueMs;
    this.timer = this.clock.setTimeout(() => this.wake(), delay);
  }

  private wake(): void {
    this.timer = undefined;
    this.timerDueMs = undefined;
    this.batch(() => {
      while (this.active) {
        const top = this.queue.peek();
        if (top === undefined) break;
        if (!this.hooks.isCurrent(top)) {
          this.queue.pop();
          continue;
        }
        const now = this.clock.now();
        // A timer may wake early (clamped delay, coarse clocks): re-arm for the rest.
        if (top.dueMs > now.getTime()) break;
        this.queue.pop();
        this.hooks.onDue(top, now);
      }
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueMs = undefined;
  }
}
