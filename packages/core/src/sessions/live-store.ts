import type { StoreOptions, StoreResult } from "./travel.js";

/**
 * A job's transcript stored while the job runs (PostgreSQL), not only at its end: a job whose
 * worker is killed mid-job is resumed on another worker, and that resume can only continue the
 * turns of the dead run that reached the database.
 *
 * The job's stream only says "the transcript grew" (`grew`); uploads happen beside it, one at a
 * time, at most one per interval, so a chatty job costs one upload per interval and never waits for
 * the database. claude appends to its file about when it prints the message, maybe just after: so
 * an upload that stored something is followed by one more look an interval later, which finds the
 * file unchanged (a stat, no read) or stores what came in late.
 */
export interface LiveStoreOptions {
  /** Stores the session's transcript; a file still `options.unlessBytes` long is left alone. */
  store(sessionId: string, options: StoreOptions): Promise<StoreResult>;
  /** Said once, the first time an upload fails; the job goes on, and the next upload tries again. */
  problem(text: string): void;
  /** The least time between two uploads' starts (2 s), plus a second per MiB already stored. */
  intervalMs?: number;
  now?: () => number;
}

const MiB = 1024 * 1024;

export class LiveTranscript {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private sessionId: string | undefined;
  private lastBytes: number | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private complained = false;

  constructor(private readonly options: LiveStoreOptions) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.now = options.now ?? (() => performance.now());
  }

  /** A model turn or a tool result went by: the session's transcript is longer than when stored. */
  grew(sessionId: string | null | undefined): void {
    if (this.stopped || !sessionId) return;
    if (sessionId !== this.sessionId) {
      this.sessionId = sessionId;
      this.lastBytes = undefined;
    }
    this.dirty = true;
    this.schedule();
  }

  /** An upload is under way or waits for its turn. */
  get busy(): boolean {
    return this.timer !== undefined || this.running !== undefined;
  }

  /** No upload after this; resolves once the one under way (if any) has ended. */
  async finish(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.running || !this.dirty) return;
    const gap = this.intervalMs + Math.floor((this.lastBytes ?? 0) / MiB) * 1000;
    const wait = Math.max(0, this.lastStart + gap - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.upload().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, wait);
    // A job that ends without `finish` (an error on the way) does not keep the process alive.
    this.timer.unref();
  }

  private async upload(): Promise<void> {
    const sessionId = this.sessionId;
    if (this.stopped || !sessionId) return;
    this.dirty = false;
    this.lastStart = this.now();
    let result: StoreResult;
    try {
      result = await this.options.store(sessionId, { unlessBytes: this.lastBytes });
    } catch (error) {
      if (!this.complained)
        this.options.problem(
          `session ${sessionId}: its transcript could not be stored mid-job (${(error as Error).message}); the job goes on, and the next turn tries again`,
        );
      this.complained = true;
      return;
    }
    if (sessionId !== this.sessionId) return;
    if (result.kind === "stored") {
      this.lastBytes = result.bytes;
      // What claude appended just after its message is caught by one more look.
      this.dirty = true;
    } else if (result.kind === "too-large") {
      // It only grows: nothing more is stored mid-job, and the job's end says why.
      this.stopped = true;
    }
  }
}
