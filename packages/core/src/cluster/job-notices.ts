import { Socket } from "node:net";
import type pg from "pg";
import { pause } from "./pause.js";
import { JOB_CHANNEL } from "./schema.js";

/**
 * A job record's changes on PostgreSQL as they happen (issue #17): the jobs table's trigger
 * (cluster/schema.ts) sends `NOTIFY herdctl_job, '<job id>'` when a job's status changes or a
 * cancel of it is asked, whoever wrote it. One LISTEN connection per process serves every
 * subscriber: the daemon following jobs that workers run (job-control.ts) and this process's
 * worker hearing cancels of its jobs (cluster-member.ts).
 *
 * A notification sent while the connection is down is lost for good, so each (re)connection
 * tells the subscribers to read everything they follow once; they keep a slow poll as well, for
 * a connection that died without a word.
 */
export interface JobNoticeListener {
  /** The record of this job changed: read it. Any job of the database is told, not only yours. */
  job(jobId: string): void;
  /** LISTEN is in place (again): what was sent before may have been missed, so read all you follow. */
  listening(): void;
}

export interface JobNoticeSource {
  /** Starts listening on first use; the returned function ends this subscription. */
  subscribe(listener: JobNoticeListener): () => void;
}

export interface JobNoticesOptions {
  readonly url: string;
  /** The wait before listening again once the connection broke; 1 s by default. */
  readonly relistenMs?: number;
  /**
   * How often the connection is asked a `select 1`: a connection that died without a word (a
   * network cut drops no packet of its own) fails it and is replaced. 5 s by default.
   */
  readonly pingMs?: number;
  /** Told once per stretch of failures and once when it works again, never with the URL. */
  readonly warn?: (message: string) => void;
}

export class JobNotices implements JobNoticeSource {
  private readonly listeners = new Set<JobNoticeListener>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private failing = false;
  private readonly relistenMs: number;
  private readonly pingMs: number;
  private readonly pending = new Set<string>();

  constructor(private readonly options: JobNoticesOptions) {
    this.relistenMs = options.relistenMs ?? 1_000;
    this.pingMs = options.pingMs ?? 5_000;
  }

  subscribe(listener: JobNoticeListener): () => void {
    this.listeners.add(listener);
    if (!this.stopping.signal.aborted) this.loop ??= this.listen();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Ends the connection; subscribers hear nothing more. Idempotent. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async listen(): Promise<void> {
    const { default: pgModule } = await import("pg");
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      // The socket is ours, so a connection that does not answer can be cut (pg's own end()
      // waits for the server's goodbye, which a silent connection never sends).
      let socket: Socket | undefined;
      let connected = false;
      const client: pg.Client = new pgModule.Client({
        connectionString: this.options.url,
        connectionTimeoutMillis: 10_000,
        // Also bounds the ping: an answer that does not come fails it.
        query_timeout: Math.max(this.pingMs, 2_000),
        application_name: "herdctl job notices",
        stream: () => {
          socket = new Socket();
          return socket;
        },
      });
      let stopped = () => {};
      const ended = new Promise<void>((resolve) => {
        client.on("error", (error) => {
          this.fail(error);
          resolve();
        });
        client.on("end", () => resolve());
        stopped = () => {
          resolve();
          // A connect in progress is cut short, so a stop never waits out its timeout.
          if (!connected) socket?.destroy();
        };
        signal.addEventListener("abort", stopped, { once: true });
      });
      client.on("notification", (n) => {
        if (n.channel === JOB_CHANNEL && n.payload) this.heard(n.payload);
      });
      try {
        await client.connect();
        connected = true;
        await client.query(`listen ${JOB_CHANNEL}`);
        if (this.failing) this.options.warn?.("job notices: listening to the database again");
        this.failing = false;
        if (!signal.aborted) this.tell((l) => l.listening());
        // The pings end with the connection, whichever way it ends.
        const gone = new AbortController();
        await Promise.race([ended, this.ping(client, AbortSignal.any([signal, gone.signal]))]);
        gone.abort();
      } catch (error) {
        this.fail(error);
      }
      // One abort listener per connection tried: kept, a long outage would pile them up.
      signal.removeEventListener("abort", stopped);
      // A goodbye when the connection still answers; cut after a second when it does not.
      const goodbye = connected
        ? client.end().then(
            () => true,
            () => false,
          )
        : Promise.resolve(false);
      if (!(await Promise.race([goodbye, pause(1_000, new AbortController().signal).then(() => false)])))
        socket?.destroy();
      await pause(this.relistenMs, signal);
    }
  }

  /** Resolves when the connection fails to answer a ping (or the stop), after saying why. */
  private async ping(client: pg.Client, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await pause(this.pingMs, signal);
      if (signal.aborted) return;
      try {
        await client.query("select 1");
      } catch (error) {
        this.fail(error);
        return;
      }
    }
  }

  /**
   * Each job named in the notifications of one turn of the event loop is told once: a burst (a
   * job's end right after its start, or anyone able to connect sending NOTIFY in a loop) costs a
   * subscriber one read per job and turn, not one per notification (docs/security.md).
   */
  private heard(jobId: string): void {
    if (this.pending.size === 0)
      setImmediate(() => {
        const ids = [...this.pending];
        this.pending.clear();
        for (const id of ids) this.tell((l) => l.job(id));
      });
    this.pending.add(jobId);
  }

  /** A subscriber's failure (a read while the database is away) is its own; the others are told. */
  private tell(call: (listener: JobNoticeListener) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        call(listener);
      } catch {
        // The subscriber's slow poll reads again.
      }
    }
  }

  private fail(error: unknown): void {
    if (this.stopping.signal.aborted || this.failing) return;
    this.failing = true;
    const e = error as { code?: string; message?: string };
    const reason = e.code ? `${e.code}: ${e.message ?? ""}`.trim() : (e.message ?? String(error));
    this.options.warn?.(
      `job notices: listening to the database failed (${reason}); trying again every ${this.relistenMs} ms, and jobs run elsewhere are read every few seconds meanwhile`,
    );
  }
}
