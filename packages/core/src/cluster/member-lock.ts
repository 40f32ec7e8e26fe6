import pg from "pg";
import { pause } from "./pause.js";
import { ACQUIRE_MEMBER_LOCK, MEMBER_LOCK_SPACE, WORKERS_TABLE } from "./schema.js";

/**
 * A member's proof of life that needs no timer: a session-level advisory lock, keyed by its row's
 * `lock_key` (new for each life of the member), held on a connection that lives as long as the
 * process. When the process dies (kill -9, a crash, an OOM kill) its kernel closes the socket and
 * PostgreSQL releases the lock at once; the reaper (reaper.ts) sees the lock no longer held and
 * ends the member's jobs after a short grace, instead of after its lease. A frozen process keeps
 * its socket, and so its lock: its lease still decides for it.
 *
 * The lock is acquired and the row's `lock_at` set in one statement, only for this life of the
 * row (same key, pid and host): `lock_at` tells the reaper the lock was taken in the current
 * server's life, so after a database restart (every lock gone) no member is judged by its lock
 * until it has taken it again.
 */

export interface MemberLockOptions {
  connectionString: string;
  id: string;
  hostname: string;
  pid: number;
  /**
   * How long to wait for a connection (the member's lease); a lost one is replaced at once, then
   * every `retryMs` (default 1,000 ms), as is a lock not taken.
   */
  connectTimeoutMs: number;
  retryMs?: number;
  applicationName: string;
  /** The connection failed or the lock could not be taken (what, without the member's name); it keeps trying. */
  onProblem?: (message: string) => void;
}

/**
 * The lock on a connection of its own (not a pooled one, which the pool may close or lend): taken
 * again at once on a new connection when that one is lost (a restarted server, a cut socket).
 */
export class MemberLock {
  private readonly stopping = new AbortController();
  private key: number;
  private loop: Promise<void> | undefined;
  /** Ends the current connection so the loop takes the lock again (a new key). */
  private renew: (() => void) | undefined;

  constructor(
    private readonly options: MemberLockOptions,
    key: number,
  ) {
    this.key = key;
  }

  start(): void {
    this.loop ??= this.hold();
  }

  /** The member registered again (a new life of its row): hold the new key instead. */
  rekey(key: number): void {
    if (key === this.key) return;
    this.key = key;
    this.renew?.();
  }

  /** Releases the lock (by ending the session). Call after the row reads stopped. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.renew?.();
    await this.loop;
  }

  /** For the message: whether the row is still this life's, and who holds the key. */
  private async why(client: pg.Client): Promise<string> {
    try {
      const { rows } = await client.query<{ mine: boolean; holder: number | null }>(
        `select exists (select 1 from ${WORKERS_TABLE} where id = $1 and lock_key = $2 and pid = $3
                          and hostname = $4 and stopped_at is null) as mine,
                (select pid from pg_locks where locktype = 'advisory' and granted and objsubid = 2
                   and classid = $5::int::oid and objid = $2::int::oid
                   and database = (select oid from pg_database where datname = current_database())) as holder`,
        [this.options.id, this.key, this.options.pid, this.options.hostname, MEMBER_LOCK_SPACE],
      );
      const r = rows[0];
      if (!r?.mine) return "its row is stopped or belongs to another life of this member";
      return r.holder ? `held by the session of server process ${r.holder}` : "held by no one";
    } catch (err) {
      return (err as Error).message;
    }
  }

  private async hold(): Promise<void> {
    const retryMs = this.options.retryMs ?? 1_000;
    let failingSince: number | undefined;
    let told = false;
    while (!this.stopping.signal.aborted) {
      const lost = new AbortController();
      this.renew = () => lost.abort();
      const client = new pg.Client({
        connectionString: this.options.connectionString,
        connectionTimeoutMillis: this.options.connectTimeoutMs,
        query_timeout: this.options.connectTimeoutMs,
        keepAlive: true,
        application_name: this.options.applicationName,
      });
      client.on("error", (err) => lost.abort(err));
      client.on("end", () => lost.abort(new Error("the server closed the connection")));
      let held = false;
      try {
        await client.connect();
        const { rowCount } = await client.query(ACQUIRE_MEMBER_LOCK, [
          this.options.id,
          this.key,
          this.options.pid,
          this.options.hostname,
          MEMBER_LOCK_SPACE,
        ]);
        held = rowCount === 1;
        if (held) failingSince = undefined;
        else {
          // Not taken: the session that held it a moment ago may not have ended on the server
          // yet, or the row is another life's now (its heartbeat registers again, with a new key:
          // rekey). Tried again; told once if it lasts a whole lease.
          failingSince ??= performance.now();
          if (!told && performance.now() - failingSince >= this.options.connectTimeoutMs) {
            told = true;
            this.options.onProblem?.(
              `key ${this.key} could not be taken for ${Math.round(this.options.connectTimeoutMs / 1000)} s (${await this.why(client)}); its lease alone keeps it a member meanwhile`,
            );
          }
        }
        // Held until this connection ends.
        if (held) await pause(2 ** 31 - 1, AbortSignal.any([this.stopping.signal, lost.signal]));
      } catch (err) {
        this.options.onProblem?.((err as Error).message);
      }
      // A cut connection may never answer the goodbye; the next try does not wait for it. A plain
      // timer, not pause(): that would leave a listener on the stop signal for the whole wait.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.end().catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.options.connectTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      // A connection that held the lock and was lost is replaced at once: the reaper's grace runs.
      if (!held) await pause(retryMs, AbortSignal.any([this.stopping.signal, lost.signal]));
    }
  }
}
