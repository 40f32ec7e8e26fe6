/** An opaque timer: a Node `Timeout` for the system clock, a plain object for the fake one. */
export type TimerHandle = object;

/** Where the scheduler gets time and timers from, so tests can drive time instead of sleeping. */
export interface Clock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Real time. Timers are unref'd: a pending schedule must not keep a finished process alive. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface FakeTimer {
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * Time that moves only when told to. `advance`/`advanceTo` run due timers in due-time order (ties in
 * the order they were set), with `now()` reading each timer's due time while it runs, so a
 * callback that sets a new timer inside the advanced span sees it fire too.
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new Map<object, FakeTimer>();

  constructor(start: Date | string | number = "2025-01-01T00:00:00.000Z") {
    this.nowMs = new Date(start).getTime();
    if (Number.isNaN(this.nowMs)) throw new RangeError(`FakeClock start ${String(start)} is not a date`);
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.timers.set(handle, { dueMs: this.nowMs + delay, seq: this.seq++, fn });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Due time of the earliest pending timer. */
  nextTimerAt(): Date | undefined {
    const next = this.earliest();
    return next === undefined ? undefined : new Date(next[1].dueMs);
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance needs a duration of 0 ms or more, got ${ms}`);
    this.advanceTo(this.nowMs + ms);
  }

  advanceTo(target: Date | string | number): void {
    const targetMs = new Date(target).getTime();
    if (!(targetMs >= this.nowMs)) {
      throw new RangeError(
        `FakeClock cannot go back in time: now is ${this.now().toISOString()}, asked for ${String(target)}`,
      );
    }
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next[1].dueMs > targetMs) break;
      this.timers.delete(next[0]);
      this.nowMs = next[1].dueMs;
      next[1].fn();
    }
    this.nowMs = targetMs;
  }

  // A linear scan: tests hold a handful of timers, and the scheduler under test holds one.
  private earliest(): [object, FakeTimer] | undefined {
    let best: [object, FakeTimer] | undefined;
    for (const entry of this.timers) {
      const [, timer] = entry;
      if (
        best === undefined ||
        timer.dueMs < best[1].dueMs ||
        (timer.dueMs === best[1].dueMs && timer.seq < best[1].seq)
      ) {
        best = entry;
      }
    }
    return best;
  }
}
