import { hostname } from "node:os";
import pg from "pg";
import { MemberLock } from "./member-lock.js";
import { pause } from "./pause.js";
import { hasJobsTable, reapLapsed } from "./reaper.js";
import { ensureClusterSchema, WORK_CHANNEL } from "./schema.js";
import { type ClaimedJob, claim, finish, renewLeases } from "./work-queue.js";
import {
  checkIdentity,
  deregisterWorker,
  heartbeatWorker,
  registerWorker,
  type WorkerIdentity,
} from "./worker-registry.js";

/** SQLSTATE of a statement PostgreSQL chose to end to break a deadlock. */
const DEADLOCK_DETECTED = "40P01";
/** Runs of a statement ended by deadlock detection before the failure is reported. */
const DEADLOCK_ATTEMPTS = 3;

/**
 * One worker's loops around the queue: register, claim what fits (woken by NOTIFY, and every
 * `pollMs` in case one was missed), run each claimed job through `run`, renew the worker's row
 * and its jobs' leases every `heartbeatMs`, and reap other workers' lapsed jobs every `reapMs`.
 *
 * A job whose lease this worker lost (the reaper took it while this process was frozen or cut
 * off from the database) is aborted, and its end is not recorded: another worker may be running
 * it again. The same happens when the database has not answered a heartbeat for a whole lease:
 * by then the reaper may already have taken the jobs.
 */
export interface JobOutcome {
  status: "completed" | "failed" | "cancelled";
  error?: string;
}

export type WorkerEvent =
  | { event: "registered"; id: string }
  | { event: "claimed"; job: ClaimedJob }
  | { event: "finished"; id: number; status: JobOutcome["status"] }
  | { event: "lease-lost"; id: number }
  | { event: "reaped"; interrupted: number[]; requeued: number[]; orphans: string[] }
  | { event: "error"; where: string; message: string };

export interface ClusterWorkerOptions {
  connectionString: string;
  /** `version` is the running herdctl's (the CLI knows it; a bundle cannot read package.json). */
  identity: WorkerIdentity;
  /**
   * 0 lets `identity.maxConcurrent` be 0: a daemon that claims nothing from the queue, yet is a
   * member (registered, heartbeating, reaping) because it runs jobs of its own. Default 1.
   */
  minSlots?: 0 | 1;
  /** How long a claimed job stays this worker's without a heartbeat. Default 10,000 ms. */
  leaseMs?: number;
  /** How often leases and the worker's row are renewed. Default a third of the lease. */
  heartbeatMs?: number;
  /** How often this worker looks for other workers' lapsed jobs. Default 1,000 ms. */
  reapMs?: number;
  /** How often it claims without a notification. Default 1,000 ms. */
  pollMs?: number;
  /** Runs one claimed job; `signal` aborts when the lease is lost or the worker stops hard. */
  run: (job: ClaimedJob, signal: AbortSignal) => Promise<JobOutcome>;
  onEvent?: (event: WorkerEvent) => void;
  /**
   * After each heartbeat the database answered: the member looks for jobs it runs itself that a
   * reaper ended meanwhile (it was frozen or cut off), and stops them here.
   */
  afterHeartbeat?: () => void;
}

interface Running {
  job: ClaimedJob;
  abort: AbortController;
  done: Promise<void>;
}

export class ClusterWorker {
  readonly identity: WorkerIdentity;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly reapMs: number;
  private readonly pollMs: number;
  private readonly pool: pg.Pool;
  private readonly running = new Map<number, Running>();
  /** Stops claiming (and listening). */
  private readonly stopping = new AbortController();
  /** Stops heartbeats and reaping: only once the jobs have ended, so draining ones keep their leases. */
  private readonly closing = new AbortController();
  /** Jobs whose lease this worker lost: aborted, and their end not recorded. */
  private readonly lost = new Set<number>();
  private wake: (() => void) | undefined;
  private woken = false;
  private lastRenewed = performance.now();
  private loops: Promise<unknown>[] = [];
  /** The session lock that tells the reapers at once when this process is gone (member-lock.ts). */
  private lock: MemberLock | undefined;

  constructor(private readonly options: ClusterWorkerOptions) {
    this.identity = checkIdentity(options.identity, options.minSlots);
    this.leaseMs = options.leaseMs ?? 10_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.floor(this.leaseMs / 3);
    this.reapMs = options.reapMs ?? 1_000;
    this.pollMs = options.pollMs ?? 1_000;
    if (this.heartbeatMs * 2 > this.leaseMs) {
      throw new Error(
        `ClusterWorker: leaseMs (${this.leaseMs}) must be at least twice heartbeatMs (${this.heartbeatMs}), so one late heartbeat does not lose the jobs`,
      );
    }
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: 3,
      connectionTimeoutMillis: this.leaseMs,
      query_timeout: this.leaseMs,
      application_name: `herdctl worker:${this.identity.id}`,
    });
    // An idle pooled connection that breaks is dropped by the pool; the next query opens another.
    this.pool.on("error", (err) => this.report("pool", err));
  }

  async start(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await ensureClusterSchema(client);
      const key = await registerWorker(client, this.identity, this.leaseMs, this.options.minSlots);
      this.lock = new MemberLock(
        {
          connectionString: this.options.connectionString,
          id: this.identity.id,
          hostname: hostname(),
          pid: process.pid,
          connectTimeoutMs: this.leaseMs,
          applicationName: `herdctl member:${this.identity.id}`,
          // Stopping, the row may read stopped before the lock was first taken: nothing to tell.
          onProblem: (message) => {
            if (!this.stopping.signal.aborted) this.report("session lock", new Error(message));
          },
        },
        key,
      );
      this.lock.start();
    } finally {
      client.release();
    }
    this.emit({ event: "registered", id: this.identity.id });
    this.loops = [
      this.every(this.heartbeatMs, () => this.heartbeat()),
      this.every(this.reapMs, () => this.reap()),
      // A member with no slots claims nothing, so it has no use for the queue's notifications.
      ...(this.identity.maxConcurrent > 0 ? [this.listen(), this.claimLoop()] : []),
    ];
  }

  /**
   * Stops claiming; waits for running jobs to end (`drain`, the default) or aborts them, then
   * marks the worker stopped. Aborted jobs are recorded `cancelled`.
   */
  async stop({ drain = true }: { drain?: boolean } = {}): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    if (!drain) this.abortRunning();
    await Promise.all([...this.running.values()].map((r) => r.done));
    this.closing.abort();
    await Promise.all(this.loops);
    await this.withClient("deregister", (c) => deregisterWorker(c, this.identity.id));
    // Released only once the row reads stopped: a reaper never sees this member's lock gone first.
    await this.lock?.stop();
    await this.pool.end();
  }

  /** Aborts the jobs running now (a stop that was draining turned into a hard one). */
  abortRunning(): void {
    for (const r of this.running.values()) r.abort.abort(new Error("the worker is stopping"));
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const free = this.identity.maxConcurrent - this.running.size;
      let claimed = 0;
      if (free > 0) {
        const jobs =
          (await this.withClient("claim", (c) =>
            claim(c, {
              workerId: this.identity.id,
              labels: this.identity.labels,
              free,
              maxConcurrent: this.identity.maxConcurrent,
              leaseMs: this.leaseMs,
            }),
          )) ?? [];
        for (const job of jobs) this.begin(job);
        claimed = jobs.length;
      }
      // Took all it could: there may be more. Otherwise wait for a notification, a freed slot or the poll.
      if (claimed > 0 && claimed === free) continue;
      await this.sleep(this.pollMs);
    }
  }

  private begin(job: ClaimedJob): void {
    const abort = new AbortController();
    this.emit({ event: "claimed", job });
    const done = (async () => {
      let outcome: JobOutcome;
      try {
        outcome = await this.options.run(job, abort.signal);
      } catch (err) {
        outcome = { status: "failed", error: (err as Error).message || String(err) };
      }
      if (!(abort.signal.aborted && this.lost.has(job.id))) {
        if (abort.signal.aborted && outcome.status === "completed") outcome = { status: "cancelled" };
        const held = await this.record(job.id, outcome);
        if (held === false) this.emit({ event: "lease-lost", id: job.id });
        else if (held) this.emit({ event: "finished", id: job.id, status: outcome.status });
      }
      this.lost.delete(job.id);
      this.running.delete(job.id);
      this.kick();
    })();
    this.running.set(job.id, { job, abort, done });
  }

  /**
   * Writes a job's end, retrying while the database cannot be reached: the job stays in `running`
   * meanwhile, so the heartbeat keeps its lease once the database answers again. It gives up only
   * when the lease is lost (the heartbeat found it taken, or heard nothing for a whole lease): by
   * then the reaper has it, and writing the end would finish a job someone else may run.
   */
  private async record(id: number, outcome: JobOutcome): Promise<boolean | undefined> {
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      const held = await this.withClient("finish", (c) => finish(c, this.identity.id, id, outcome));
      if (held !== undefined) return held;
      if (this.lost.has(id)) return undefined;
      await pause(wait, new AbortController().signal);
    }
  }

  private loseJob(id: number): void {
    const r = this.running.get(id);
    if (!r || this.lost.has(id)) return;
    this.lost.add(id);
    r.abort.abort(new Error(`job ${id}: this worker's lease on it lapsed; another worker may run it`));
    this.emit({ event: "lease-lost", id });
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.running.keys()].filter((id) => !this.lost.has(id));
    try {
      const held = await this.withClient(
        "heartbeat",
        async (c) => {
          if (!(await heartbeatWorker(c, this.identity.id))) {
            // The row was taken over (this process was silent too long): register again, as a
            // new life with a new lock key.
            this.lock?.rekey(await registerWorker(c, this.identity, this.leaseMs, this.options.minSlots));
          }
          return renewLeases(c, this.identity.id, ids, this.leaseMs);
        },
        true,
      );
      this.lastRenewed = performance.now();
      for (const id of ids) if (!held?.has(id)) this.loseJob(id);
      this.options.afterHeartbeat?.();
    } catch {
      // Reported by withClient. A whole lease without an answer: the reaper may have the jobs by now.
      if (performance.now() - this.lastRenewed >= this.leaseMs) for (const id of ids) this.loseJob(id);
    }
  }

  /** Whether the database holds job records for the reaper to interrupt with their rows. */
  private jobsTable = false;

  private async reap(): Promise<void> {
    const reaped = await this.withClient("reaper", async (c) => {
      // Asked until found: a fleet's state may create its tables after this worker starts.
      this.jobsTable ||= await hasJobsTable(c);
      return reapLapsed(c, this.jobsTable, { staleAfterMs: this.leaseMs });
    });
    if (reaped && (reaped.interrupted.length > 0 || reaped.orphans.length > 0)) {
      this.emit({
        event: "reaped",
        interrupted: reaped.interrupted.map((r) => r.id),
        requeued: reaped.requeued.map((r) => r.id),
        orphans: reaped.orphans.map((r) => r.jobId),
      });
    }
  }

  /** LISTEN on a connection of its own; a lost connection is replaced after `pollMs`. */
  private async listen(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const client = new pg.Client({
        connectionString: this.options.connectionString,
        connectionTimeoutMillis: this.leaseMs,
        application_name: `herdctl worker:${this.identity.id}`,
      });
      let stopped = () => {};
      const ended = new Promise<void>((resolve) => {
        client.on("error", (err) => {
          this.report("listen", err);
          resolve();
        });
        client.on("end", () => resolve());
        stopped = () => resolve();
        this.stopping.signal.addEventListener("abort", stopped, { once: true });
      });
      client.on("notification", () => this.kick());
      try {
        await client.connect();
        await client.query(`listen ${WORK_CHANNEL}`);
        this.kick(); // anything queued while not listening
        await ended;
      } catch (err) {
        this.report("listen", err);
      }
      // One listener per connection tried: kept, a long outage would pile them up (and their clients).
      this.stopping.signal.removeEventListener("abort", stopped);
      await client.end().catch(() => {});
      // Not this.sleep(): that one is the claim loop's, woken by kick().
      await pause(this.pollMs, this.stopping.signal);
    }
  }

  private kick(): void {
    this.woken = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopping.signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      this.wake = done;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        self.woken = false;
        resolve();
      }
    });
  }

  private async every(ms: number, tick: () => Promise<void>): Promise<void> {
    const signal = this.closing.signal;
    while (!signal.aborted) {
      await tick();
      await pause(ms, signal);
    }
  }

  /** Runs `work` on a pooled connection; a failure is reported and gives undefined (or rethrows). */
  private async withClient<T>(
    where: string,
    work: (c: pg.PoolClient) => Promise<T>,
    rethrow = false,
  ): Promise<T | undefined> {
    let client: pg.PoolClient | undefined;
    // A connection that drops while checked out also emits `error` (the pool listens only to idle
    // ones); the statement's own rejection carries the failure, so the event needs only a listener.
    const ignore = () => {};
    try {
      client = await this.pool.connect();
      client.on("error", ignore);
      for (let attempt = 1; ; attempt++) {
        try {
          return await work(client);
        } catch (err) {
          // PostgreSQL rolled the statement back whole, and asks for it to be run again: every
          // statement here is its own transaction and safe to repeat (a heartbeat, a renewal, a
          // claim, an end guarded by its status, the reaper's one statement).
          if ((err as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= DEADLOCK_ATTEMPTS)
            throw err;
        }
      }
    } catch (err) {
      this.report(where, err);
      // A connection that failed mid-statement may be broken: the pool must not hand it out again.
      client?.off("error", ignore);
      client?.release(err as Error);
      client = undefined;
      if (rethrow) throw err;
      return undefined;
    } finally {
      client?.off("error", ignore);
      client?.release();
    }
  }

  private report(where: string, err: unknown): void {
    this.emit({ event: "error", where, message: (err as Error)?.message ?? String(err) });
  }

  private emit(event: WorkerEvent): void {
    this.options.onEvent?.(event);
  }
}
