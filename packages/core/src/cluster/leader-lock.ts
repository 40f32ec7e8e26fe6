import pg from "pg";
import { pause } from "./pause.js";

/**
 * Leadership through a PostgreSQL advisory lock held on a connection of its own: whoever holds
 * the lock leads (runs the scheduler); the server releases it the moment that connection ends,
 * so a leader that dies (kill -9, machine gone) hands over without anyone cleaning up.
 *
 * The other half is a leader that is cut off without dying (network cut, process frozen): the
 * server cannot tell that from a quiet client, so the session is told to end itself after
 * `2 × leaseMs` of silence (`idle_session_timeout`), and the leader, which checks its connection
 * every `intervalMs`, stops calling itself leader once `leaseMs` has passed without an answer.
 * The leader therefore steps down before the server can give the lock to anyone else.
 */
export interface LeaderLockOptions {
  /** postgres:// URL of the fleet's database. */
  connectionString: string;
  /** What is led (e.g. "scheduler"): one lock, and one leader, per name. */
  name: string;
  /** How often a follower asks for the lock and a leader checks its connection. Default 1,000 ms. */
  intervalMs?: number;
  /** How long a leader may go without an answer from the server before it steps down. Default 5,000 ms. */
  leaseMs?: number;
  /** Became leader. */
  onElected?: () => void;
  /** Was leader and is no longer; `reason` says why (connection lost, no answer, stopped). */
  onLost?: (reason: string) => void;
  /** Could not reach the database while following; it keeps trying every `intervalMs`. */
  onUnreachable?: (reason: string) => void;
}

/** The advisory lock's first key: herdctl's own space, so other users of the database do not collide. */
export const LOCK_SPACE = 0x68657264; // "herd"

/** The second key: a 32-bit FNV-1a hash of the name, as Postgres's signed int4. */
export function lockKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

export class LeaderLock {
  private readonly intervalMs: number;
  private readonly leaseMs: number;
  private readonly stopping = new AbortController();
  private client: pg.Client | undefined;
  private leading = false;
  private lastAnswer = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: LeaderLockOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 5_000;
    if (this.intervalMs * 2 > this.leaseMs) {
      throw new Error(
        `LeaderLock: leaseMs (${this.leaseMs}) must be at least twice intervalMs (${this.intervalMs}), so one slow check does not end leadership`,
      );
    }
  }

  /**
   * True while this process holds the lock and heard from the server within `leaseMs`. Ask it
   * before each leader-only act: after a freeze it turns false at once, before any timer runs.
   */
  get isLeader(): boolean {
    return this.leading && performance.now() - this.lastAnswer < this.leaseMs;
  }

  start(): void {
    this.loop ??= this.campaign();
  }

  /** Gives the lock up (if held) and closes the connection. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async campaign(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const lost = new AbortController();
      let failure: Error | undefined;
      try {
        await this.connect(lost);
        await this.holdOrWait(lost.signal);
      } catch (err) {
        failure = err as Error;
      }
      const wasLeading = this.leading;
      this.leading = false;
      await this.close(wasLeading && !failure);
      if (wasLeading) this.options.onLost?.(failure ? describe(failure) : "stopped");
      else if (failure) this.options.onUnreachable?.(describe(failure));
      await pause(this.intervalMs, this.stopping.signal);
    }
  }

  private async connect(lost: AbortController): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: this.leaseMs,
      query_timeout: this.leaseMs,
      keepAlive: true,
      application_name: `herdctl leader:${this.options.name}`,
    });
    this.client = client;
    // An idle connection's failure arrives only as this event; it ends the current term.
    client.on("error", (err) => lost.abort(err));
    client.on("end", () => lost.abort(new Error("the server closed the connection")));
    await client.connect();
    await client.query("select set_config('idle_session_timeout', $1, false)", [String(this.leaseMs * 2)]);
  }

  /** Returns only by throwing (connection lost or silent) or when stopped. */
  private async holdOrWait(lost: AbortSignal): Promise<void> {
    const client = this.client as pg.Client;
    const key = lockKey(this.options.name);
    while (!this.stopping.signal.aborted) {
      if (lost.aborted) throw lost.reason;
      if (this.leading) {
        await client.query("select 1");
        this.lastAnswer = performance.now();
      } else {
        const { rows } = await client.query<{ got: boolean }>("select pg_try_advisory_lock($1, $2) as got", [
          LOCK_SPACE,
          key,
        ]);
        if (rows[0]?.got) {
          this.leading = true;
          this.lastAnswer = performance.now();
          this.options.onElected?.();
        }
      }
      await pause(this.intervalMs, AbortSignal.any([this.stopping.signal, lost]));
    }
  }

  private async close(unlock: boolean): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // Unlocking first hands over at once; ending the session would release it too, a little later.
    if (unlock) await client.query("select pg_advisory_unlock_all()").catch(() => {});
    // A cut connection may never answer the goodbye; the next term does not wait for it.
    await Promise.race([client.end().catch(() => {}), pause(this.leaseMs, new AbortController().signal)]);
  }
}

function describe(err: Error): string {
  return err.message || String(err);
}
