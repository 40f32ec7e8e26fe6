import type pg from "pg";
import { OUTPUT_CHANNEL, OUTPUT_TABLE } from "./central-schema.js";

/**
 * Job output on PostgreSQL, for readers on other machines (issue #17, "Live output"). The job's
 * own machine still writes `jobs/<id>.jsonl` first; every line is then queued here and stored by
 * one insert per flush (not per line) on a connection of this module's own, with
 * `NOTIFY herdctl_output, '<job id>'` in the same statement. Nothing here goes through the
 * state's synchronous facade, so the daemon's event loop never waits on these writes.
 *
 * Readers (`follow`) wake on the notification and poll anyway every `pollMs`, reading from the
 * line they have: a lost notification or a reconnect costs at most one poll, never a line.
 */
export interface StoredLine {
  readonly line: number;
  readonly json: string;
}

export interface CentralOutputOptions {
  readonly url: string;
  /** Told once per stretch of failures, never with the URL (it holds a password). */
  readonly warn?: (message: string) => void;
  /** How often a follower reads without being notified; 1 s by default. */
  readonly pollMs?: number;
  /** Lines kept while the database cannot be reached; beyond it the oldest are dropped (and said). */
  readonly maxPendingLines?: number;
}

interface Pending {
  readonly jobId: string;
  readonly line: number;
  readonly json: string;
}

/** The most lines one insert carries (a burst is split; each part is still one statement). */
const BATCH_LINES = 2_000;
/** The most lines a follower reads per query. */
const READ_LINES = 500;

export class CentralOutput {
  private pool: pg.Pool | undefined;
  private pooling: Promise<pg.Pool> | undefined;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private failing = false;
  /** Set from the first failed store until one succeeds: `failing` is cleared for each retry. */
  private storeWarned = false;
  private readFailing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly pollMs: number;
  private readonly maxPending: number;
  /** jobId → wake-ups of the followers waiting for it. */
  private readonly waiters = new Map<string, Set<() => void>>();
  /**
   * jobId → notifications seen while it is followed: a follower compares the count from before its
   * read, so a notification that came during the read is not waited out for a whole poll.
   */
  private readonly notified = new Map<string, number>();
  /** jobId → how many follow it in this process (its count above is dropped with the last). */
  private readonly following = new Map<string, number>();
  /** The LISTEN connection, or a promise of it while it opens. */
  private listener: pg.Client | "opening" | undefined;
  private listening = 0;
  private listenerGeneration = 0;

  constructor(private readonly options: CentralOutputOptions) {
    this.pollMs = options.pollMs ?? 1_000;
    this.maxPending = options.maxPendingLines ?? 100_000;
  }

  /** Queues one line; stored with the others queued in the same turn of the event loop. */
  push(jobId: string, line: number, json: string): void {
    if (this.closed) return;
    this.pending.push({ jobId, line, json });
    if (this.pending.length > this.maxPending) {
      const dropped = this.pending.splice(0, this.pending.length - this.maxPending);
      this.options.warn?.(
        `job output: the database has not answered for a while; ${dropped.length} line(s) of job ${dropped[0]!.jobId} were not stored centrally (they stay in the job's local file)`,
      );
    }
    this.schedule();
  }

  /**
   * Resolves once every line pushed before the call is stored, or after `timeoutMs` (the lines are
   * kept and stored later). A job's end is recorded after this, so a reader elsewhere that sees
   * the job ended has its last lines to read.
   */
  async flushed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0 || this.flushing) {
      if (this.closed || Date.now() > deadline) return false;
      if (this.flushing) await Promise.race([this.flushing, delay(Math.max(1, deadline - Date.now()))]);
      else if (this.failing) await delay(Math.min(100, Math.max(1, deadline - Date.now())));
      else this.flushNow();
    }
    return true;
  }

  /** Says a job changed (it ended) without lines: its followers elsewhere look at once. */
  announce(jobId: string): void {
    if (this.closed) return;
    void this.connect()
      .then((pool) => pool.query("select pg_notify($1, $2)", [OUTPUT_CHANNEL, jobId]))
      .catch(() => {
        // A follower polls anyway; a lost announcement costs it one poll.
      });
  }

  /** Lines of a job from `fromLine` on, at most `limit`, in order. */
  async read(jobId: string, fromLine: number, limit = READ_LINES): Promise<StoredLine[]> {
    const pool = await this.connect();
    const { rows } = await pool.query<{ line: number; json: string }>(
      `select line, json from ${OUTPUT_TABLE} where job_id = $1 and line >= $2 order by line limit $3`,
      [jobId, fromLine, limit],
    );
    // Lines land in order, one insert after another; stop at a gap rather than skip a line.
    const out: StoredLine[] = [];
    for (const row of rows) {
      if (row.line !== fromLine + out.length) break;
      out.push({ line: row.line, json: row.json });
    }
    return out;
  }

  /**
   * Stored lines as they arrive, from `fromLine`, until `isDone()` was true before a read that
   * came back short, `signal` aborts, or `leaveWhen()` turns true (asked before each read: the
   * caller goes on from the next line elsewhere).
   */
  async *follow(
    jobId: string,
    options: {
      fromLine?: number;
      signal?: AbortSignal;
      isDone: () => boolean;
      leaveWhen?: () => boolean;
    },
  ): AsyncGenerator<StoredLine> {
    let next = options.fromLine ?? 0;
    const aborted = () => options.signal?.aborted === true;
    this.listening++;
    this.notified.set(jobId, this.notified.get(jobId) ?? 0);
    this.following.set(jobId, (this.following.get(jobId) ?? 0) + 1);
    this.startListening();
    try {
      // `isDone` (a state read) is asked only when a read found nothing new, not once per line.
      let done = false;
      while (!aborted() && options.leaveWhen?.() !== true) {
        const seen = this.notified.get(jobId) ?? 0;
        const lines = await this.readOrNothing(jobId, next);
        for (const line of lines) {
          yield line;
          next = line.line + 1;
          if (aborted()) return;
        }
        if (lines.length > 0) {
          if (lines.length < READ_LINES && !done) await this.nextNotice(jobId, seen, options.signal);
          continue;
        }
        // Nothing new, and the job had ended before this read: its last lines are read (they are
        // stored before its end is recorded).
        if (done) return;
        done = options.isDone();
        if (!done) await this.nextNotice(jobId, seen, options.signal);
      }
    } finally {
      const left = (this.following.get(jobId) ?? 1) - 1;
      if (left > 0) this.following.set(jobId, left);
      else {
        this.following.delete(jobId);
        this.notified.delete(jobId);
      }
      if (--this.listening === 0) this.stopListening();
    }
  }

  /** Ends the connections once what is queued is stored (or could not be within `timeoutMs`). */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    await this.flushed(timeoutMs).catch(() => false);
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stopListening();
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    const pool = this.pool ?? (await this.pooling?.catch(() => undefined));
    this.pool = undefined;
    await pool?.end().catch(() => {});
  }

  /** A failed read is said once per stretch of failures (followers retry every poll). */
  private async readOrNothing(jobId: string, from: number): Promise<StoredLine[]> {
    try {
      const lines = await this.read(jobId, from);
      this.readFailing = false;
      return lines;
    } catch (error) {
      if (!this.readFailing)
        this.options.warn?.(
          `job ${jobId}: reading its output from the database failed (${describe(error)}); retrying every ${this.pollMs} ms`,
        );
      this.readFailing = true;
      return [];
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing || this.failing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushNow();
    });
  }

  private flushNow(): void {
    if (this.flushing || this.pending.length === 0 || this.closed) return;
    const batch = this.pending.slice(0, BATCH_LINES);
    this.flushing = this.insert(batch).then(
      () => {
        this.pending.splice(0, batch.length);
        if (this.storeWarned) this.options.warn?.("job output: storing lines in the database works again");
        this.storeWarned = false;
        this.failing = false;
        this.flushing = undefined;
        if (this.pending.length > 0) this.schedule();
      },
      (error) => {
        if (!this.storeWarned)
          this.options.warn?.(
            `job output: storing lines in the database failed (${describe(error)}); retrying every second, the lines stay in the jobs' local files`,
          );
        this.storeWarned = true;
        this.failing = true;
        this.flushing = undefined;
        this.retryTimer = setTimeout(() => {
          this.failing = false;
          this.flushNow();
        }, 1_000);
        this.retryTimer.unref();
      },
    );
  }

  /**
   * One statement: the lines, and one notification per job among them (sent at its commit). A
   * retried batch whose first try did commit inserts nothing twice (the key is job and line).
   */
  private async insert(batch: readonly Pending[]): Promise<void> {
    const pool = await this.connect();
    await pool.query(
      `with stored as (
         insert into ${OUTPUT_TABLE} (job_id, line, json)
         select * from unnest($1::text[], $2::int[], $3::text[])
         on conflict do nothing
       )
       select pg_notify($4, j) from (select distinct unnest($1::text[]) as j) jobs`,
      [batch.map((p) => p.jobId), batch.map((p) => p.line), batch.map((p) => p.json), OUTPUT_CHANNEL],
    );
  }

  /** The pool, made on first use; `pg` is loaded only then (the SQLite path never loads it). */
  connect(): Promise<pg.Pool> {
    if (this.pool) return Promise.resolve(this.pool);
    this.pooling ??= import("pg").then(({ default: pgModule }) => {
      const pool = new pgModule.Pool({
        connectionString: this.options.url,
        max: 2,
        connectionTimeoutMillis: 10_000,
        query_timeout: 30_000,
        allowExitOnIdle: true,
        application_name: "herdctl output",
      });
      // A broken idle connection is dropped by the pool; the next query opens another.
      pool.on("error", () => {});
      this.pool = pool;
      return pool;
    });
    return this.pooling;
  }

  /** Resolves on a notification for the job (or one since `seen`), after `pollMs`, or on abort. */
  private nextNotice(jobId: string, seen: number, signal: AbortSignal | undefined): Promise<void> {
    this.startListening();
    return new Promise((resolve) => {
      if (signal?.aborted || this.closed || (this.notified.get(jobId) ?? 0) !== seen) return resolve();
      const set = this.waiters.get(jobId) ?? new Set<() => void>();
      this.waiters.set(jobId, set);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
        resolve();
      };
      // Referenced on purpose: `herdctl logs -f` has nothing else keeping it alive.
      const timer = setTimeout(done, this.pollMs);
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  /** LISTEN on a connection of its own while anyone follows; a broken one is replaced on the next wait. */
  private startListening(): void {
    if (this.listener || this.closed) return;
    this.listener = "opening";
    const generation = ++this.listenerGeneration;
    const opening = import("pg").then(async ({ default: pgModule }) => {
      // Stopped (and maybe started again) while `pg` loaded: this opening is not wanted any more.
      if (generation !== this.listenerGeneration || this.listener !== "opening") return;
      const client = new pgModule.Client({
        connectionString: this.options.url,
        connectionTimeoutMillis: 10_000,
        application_name: "herdctl output follower",
      });
      this.listener = client;
      const drop = () => {
        if (this.listener === client) this.listener = undefined;
        client.end().catch(() => {});
      };
      client.on("error", drop);
      client.on("end", () => {
        if (this.listener === client) this.listener = undefined;
      });
      client.on("notification", (n) => {
        const count = n.payload ? this.notified.get(n.payload) : undefined;
        if (count !== undefined) this.notified.set(n.payload!, count + 1);
        const set = n.payload ? this.waiters.get(n.payload) : undefined;
        if (set) for (const wake of [...set]) wake();
      });
      try {
        await client.connect();
        await client.query(`listen ${OUTPUT_CHANNEL}`);
        if (this.listening === 0 || this.closed || generation !== this.listenerGeneration) drop();
      } catch {
        drop();
      }
    });
    opening.catch(() => {
      if (this.listener === "opening") this.listener = undefined;
    });
  }

  private stopListening(): void {
    const client = this.listener;
    this.listener = undefined;
    this.listenerGeneration++;
    if (client && client !== "opening") client.end().catch(() => {});
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An error's reason without anything from the URL: pg's messages name host and user at most. */
function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ? `${e.code}: ${e.message ?? ""}`.trim() : (e.message ?? String(error));
}
