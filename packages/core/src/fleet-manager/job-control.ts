import type { JobNoticeSource } from "../cluster/job-notices.js";
import { herdctlNotice, type JobExecutor, type JobRequest } from "../runner/job-executor.js";
import { PausedAtStop } from "../runner/paused-at-stop.js";
import { recordJobEnd } from "../runner/record-end.js";
import { ForcedCancel } from "../runner/runtime/forced-cancel.js";
import type { WarmClaudes } from "../runner/runtime/warm-claudes.js";
import { type Clock, systemClock } from "../scheduler/index.js";
import { admitWithinBudget } from "../spend/admission.js";
import type { BudgetLedger } from "../spend/budget.js";
import type { JobRecord, StateManager } from "../state/index.js";
import { isTerminalStatus } from "../state/index.js";
import { atCapacity, FleetError, laneBusy, queueFull } from "./errors.js";
import { endEventFor, type FleetEventBus } from "./events.js";
import { type RetryRef, RetryScheduler } from "./retries.js";

export interface SubmitOptions {
  /** Fail at once instead of waiting in line when there is no free slot. */
  noQueue?: boolean;
  /** Run even when a budget is spent (`trigger --force`); the caller records who forced it. */
  overBudget?: boolean;
  /** Run even while the agent's credential is paused at its usage limit (`trigger --force`). */
  overUsageLimit?: boolean;
}

/** instances.max_queued when the config predates it. */
const DEFAULT_MAX_QUEUED = 20;

/**
 * On PostgreSQL, where any worker may run a job: the queue a job goes to instead of this daemon's
 * own runner (fleet-manager.ts builds it from the state's `clusterJobs`).
 */
export interface ClusterQueue {
  /** Whether any worker may run it (else this daemon does: a chat turn, a trigger's overrides). */
  portable(request: JobRequest): boolean;
  /** Writes the job's queue row; called in the transaction that records the job. */
  enqueue(job: JobRecord, request: JobRequest): void;
  /** Takes a job no worker has claimed out of the queue; false once one has. */
  cancelQueued(jobId: string): boolean;
}

/**
 * How often the records of jobs other workers run are read without a notification: the safety
 * net only. A job's start and end are heard at once through the jobs table's NOTIFY
 * (cluster/job-notices.ts), and every (re)connection of its LISTEN re-reads all followed jobs;
 * this catches what both could still miss.
 */
const REMOTE_POLL_MS = 5_000;

interface RemoteJob {
  job: JobRecord;
  request: JobRequest | undefined;
  done: Promise<JobRecord>;
  resolveDone: (job: JobRecord) => void;
}

interface ActiveJob {
  job: JobRecord;
  request: JobRequest;
  controller: AbortController;
  done: Promise<JobRecord>;
  resolveDone: (job: JobRecord) => void;
  running: boolean;
}

/**
 * Admission and cancellation for every job, whatever triggered it: per-agent `max_concurrent`,
 * the fleet-wide cap, a FIFO line for jobs that must wait, and cancel by job id.
 */
export class JobControl {
  private readonly active = new Map<string, ActiveJob>();
  private readonly line: string[] = [];
  private closed = false;
  /**
   * Final records that could not be written (disk full): retried until they land, so a job whose
   * row says "running" is never left behind by a daemon that has moved on.
   */
  private readonly unrecorded = new Map<string, { status: "failed"; exitReason: "error"; error: string }>();
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retries: RetryScheduler;
  /** Jobs of this fleet that workers run (on this machine or another), followed to their end. */
  private readonly remote = new Map<string, RemoteJob>();
  private readonly pendingCancels = new Set<string>();
  private remoteTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: {
      executor: JobExecutor;
      state: StateManager;
      events: FleetEventBus;
      maxConcurrentJobs?: number;
      clock?: Clock;
      log?: (line: string) => void;
      /** Spend against budgets; without it nothing is limited. */
      budgets?: BudgetLedger;
      /** The calendar budgets follow, for the messages. */
      budgetTimezone?: () => string | undefined;
      /**
       * Usage-limit pauses: throws while the agent's credential is paused; after the reset it
       * returns a callback that is told the job that goes first as the probe.
       */
      /** Told of each trigger and of each agent left with no job: warms its next claude (daemon only). */
      warm?: Pick<WarmClaudes, "triggered" | "idle">;
      usageLimits?: {
        admit(
          agent: string,
          options: { force: boolean; scheduled: boolean },
        ): ((jobId: string) => void) | undefined;
      };
      /** PostgreSQL: jobs go to the workers' queue (the limits then hold in the claim). */
      cluster?: ClusterQueue;
      /** PostgreSQL: changes of job records, so jobs workers run are followed without waiting for a poll. */
      notices?: JobNoticeSource;
      /** The safety net's period for jobs workers run (REMOTE_POLL_MS); tests lengthen it. */
      remotePollMs?: number;
      /**
       * PostgreSQL: this process's member id (a daemon's, or a CLI's running a chat itself),
       * recorded on the jobs it runs itself: they have no lease, so the reaper finds them by it
       * once the process stops heartbeating (cluster/reaper.ts).
       */
      memberId?: () => string | undefined;
    },
  ) {
    this.retries = new RetryScheduler({
      clock: deps.clock ?? systemClock,
      state: deps.state,
      submit: (request) => this.submit(request),
      log: deps.log ?? (() => {}),
    });
  }

  /** Records the job and starts it now, or queues it; returns at once with the job as it stands. */
  submit(request: JobRequest, options: SubmitOptions = {}): JobRecord {
    if (this.closed)
      throw new FleetError("FLEET_STOPPING", "the fleet is stopping; no new jobs are accepted");
    if (this.deps.budgets) {
      const agent = admitWithinBudget(request.agent, this.deps.budgets, {
        force: options.overBudget,
        timezone: this.deps.budgetTimezone?.(),
      });
      if (agent !== request.agent) request = { ...request, agent };
    }
    const probe = this.deps.usageLimits?.admit(request.agent.name, {
      force: options.overUsageLimit === true,
      scheduled: request.triggerType === "schedule" || request.triggerType === "wake",
    });
    const cluster = this.deps.cluster;
    if (cluster?.portable(request)) {
      // Limits hold in the workers' claim, across every machine; the row waits there for a slot.
      const job = this.deps.state.transaction(() => {
        const created = this.deps.executor.enqueue(request);
        cluster.enqueue(created, request);
        return created;
      });
      probe?.(job.id);
      this.deps.events.emit("job:queued", job);
      this.follow(job, request);
      return job;
    }
    const blocked = this.blockedBy(request);
    if (blocked && (options.noQueue || false)) throw blocked;
    if (blocked) {
      // A bounded line: a flood of triggers (a webhook storm, a stuck agent) must not pile up jobs.
      const limit = request.agent.instances?.max_queued ?? DEFAULT_MAX_QUEUED;
      const waiting = this.queuedJobs(request.agent.name).length;
      if (waiting >= limit) throw queueFull(request.agent.name, waiting, limit);
    }
    this.recordPending();
    const job = this.deps.executor.enqueue(request, this.deps.memberId?.());
    this.deps.warm?.triggered(request.agent.name, request.triggerType);
    probe?.(job.id);
    let resolveDone!: (job: JobRecord) => void;
    const done = new Promise<JobRecord>((resolve) => {
      resolveDone = resolve;
    });
    const entry: ActiveJob = {
      job,
      request,
      controller: new AbortController(),
      done,
      resolveDone,
      running: false,
    };
    this.active.set(job.id, entry);
    this.deps.events.emit("job:queued", job);
    if (blocked) this.line.push(job.id);
    else this.launch(entry);
    return this.deps.state.jobs.require(job.id);
  }

  /** Resolves with the job's final record. Works for jobs that already ended, too. */
  async wait(jobId: string): Promise<JobRecord> {
    const entry = this.active.get(jobId);
    if (entry) return entry.done;
    const job = this.deps.state.jobs.require(jobId);
    // A job some worker runs: followed through its record until it ends.
    if (this.deps.cluster && !isTerminalStatus(job.status)) return this.follow(job, undefined).done;
    return job;
  }

  /**
   * Stops a running job (its process or container goes within seconds), takes a queued one out of
   * line, or drops the planned retry of a failed one.
   */
  /** `force`: kill claude at once instead of asking it to stop (`herdctl cancel --force`). */
  async cancel(jobId: string, options: { force?: boolean } = {}): Promise<JobRecord> {
    const entry = this.active.get(jobId);
    if (!entry) {
      const withoutRetry = this.retries.cancel(jobId);
      if (withoutRetry) return withoutRetry;
      // A job this daemon follows needs no read first: while PostgreSQL is away its cancel is
      // still taken, kept and recorded once the database is back (cancelRemote).
      const job = this.remote.get(jobId)?.job ?? this.deps.state.jobs.require(jobId);
      if (isTerminalStatus(job.status)) {
        throw new FleetError(
          "FLEET_JOB_NOT_ACTIVE",
          `job ${jobId} already ended (${job.status}); nothing to cancel`,
        );
      }
      if (this.deps.cluster) return this.cancelRemote(job);
      throw new FleetError(
        "FLEET_JOB_NOT_ACTIVE",
        `job ${jobId} is not run by this daemon; nothing to cancel`,
      );
    }
    if (!entry.running) {
      this.removeFromLine(jobId);
      // Out of line at once; the record is kept and written again while PostgreSQL cannot be
      // reached, as a job's own end is (runner/record-end.ts), so it never stays "queued".
      const job = await recordJobEnd(
        this.deps.state,
        jobId,
        () =>
          this.deps.state.jobs.finish(jobId, {
            status: "cancelled",
            exitReason: "cancelled",
            error: "cancelled while waiting for a free slot",
          }),
        this.deps.log,
      );
      this.settle(entry, job);
      return job;
    }
    entry.controller.abort(options.force ? new ForcedCancel() : undefined);
    return entry.done;
  }

  /**
   * The daemon is stopping: a job waiting for a person's approval is interrupted at once, its
   * request left pending for the job resumed at the next start (runner/paused-at-stop.ts).
   * Without `jobId`, every such job; with it, that job if it waits.
   */
  interruptWaiting(jobId?: string): void {
    for (const entry of this.active.values()) {
      if (!entry.running || (jobId !== undefined && entry.job.id !== jobId)) continue;
      if (this.deps.state.jobs.get(entry.job.id)?.status !== "waiting_approval") continue;
      entry.controller.abort(new PausedAtStop());
    }
  }

  /**
   * PostgreSQL: the jobs this process runs itself whose records another member's reaper has
   * already ended (this process was frozen, or cut off from the database, past its lease): their
   * claude is killed here and nothing is written, since a final status is never changed. Called
   * after each heartbeat the database answered.
   */
  stopEndedElsewhere(): void {
    const running = [...this.active.values()].filter((e) => e.running && !e.controller.signal.aborted);
    if (running.length === 0) return;
    // One round trip each heartbeat for all of them; a record is read only for one that ended.
    const unfinished = new Set(
      this.deps.state.jobs.unfinished({ ids: running.map((e) => e.job.id) }).map((j) => j.id),
    );
    for (const entry of running) {
      if (unfinished.has(entry.job.id)) continue;
      const record = this.deps.state.jobs.get(entry.job.id);
      if (!record || !isTerminalStatus(record.status)) continue;
      this.deps.log?.(
        `job ${record.id} was ended by another member as ${record.status} (${record.error ?? "no reason given"}) while this process still ran it; stopping it here, its record stays as it is`,
      );
      entry.controller.abort(new ForcedCancel());
    }
  }

  runningJobs(agent?: string): JobRecord[] {
    return [
      ...[...this.active.values()].filter((e) => e.running).map((e) => e.job),
      ...[...this.remote.values()].map((r) => r.job).filter((j) => j.status !== "queued"),
    ].filter((j) => agent === undefined || j.agent === agent);
  }

  queuedJobs(agent?: string): JobRecord[] {
    return [
      ...this.line.map((id) => this.active.get(id)!.job),
      ...[...this.remote.values()].map((r) => r.job).filter((j) => j.status === "queued"),
    ].filter((j) => agent === undefined || j.agent === agent);
  }

  /** Whether a cancel of this queued job is taken but not yet written (PostgreSQL away). */
  isCancelPending(jobId: string): boolean {
    return this.pendingCancels.has(jobId);
  }

  /**
   * A job in the workers' queue: taken out if no worker has claimed it, else its worker is asked
   * to stop it (the request's notification reaches it at once) and the job's end is awaited.
   */
  private async cancelRemote(job: JobRecord): Promise<JobRecord> {
    const { state, cluster } = this.deps;
    let taken = false;
    // Kept and written again while PostgreSQL cannot be reached, as a job's own end is; until
    // then this daemon's own worker does not run the job if it claims it (isCancelPending).
    this.pendingCancels.add(job.id);
    const ended = await recordJobEnd(
      state,
      job.id,
      () =>
        state.transaction(() => {
          // Claimed by a worker meanwhile: the record as it is, and the worker is asked below.
          if (!cluster!.cancelQueued(job.id)) return state.jobs.require(job.id);
          taken = true;
          return state.jobs.finish(job.id, {
            status: "cancelled",
            exitReason: "cancelled",
            error: "cancelled before a worker took it",
          });
        }),
      this.deps.log,
    ).finally(() => this.pendingCancels.delete(job.id));
    if (taken || isTerminalStatus(ended.status)) {
      this.poll();
      return ended;
    }
    state.jobs.requestCancel(job.id);
    return this.follow(job, undefined).done;
  }

  /** Follows a job a worker runs: its start and end reach this daemon's events and waiters. */
  private follow(job: JobRecord, request: JobRequest | undefined): RemoteJob {
    const known = this.remote.get(job.id);
    if (known) return known;
    let resolveDone!: (job: JobRecord) => void;
    const done = new Promise<JobRecord>((resolve) => {
      resolveDone = resolve;
    });
    const entry: RemoteJob = { job, request, done, resolveDone };
    this.remote.set(job.id, entry);
    // Subscribed once and kept: the notices' connection serves the daemon's life, not one job.
    this.unsubscribe ??= this.deps.notices?.subscribe({
      job: (id) => {
        if (this.remote.has(id)) this.poll([id]);
      },
      listening: () => this.poll(),
    });
    this.remoteTimer ??= setInterval(() => this.poll(), this.deps.remotePollMs ?? REMOTE_POLL_MS).unref();
    return entry;
  }

  /** Reads the records of the jobs workers run (`ids`, else all followed) and tells what changed. */
  private poll(ids: Iterable<string> = [...this.remote.keys()]): void {
    for (const id of ids) {
      const entry = this.remote.get(id);
      if (!entry) continue;
      let now: JobRecord | undefined;
      try {
        now = this.deps.state.jobs.get(id);
      } catch {
        return; // the database is away; the next tick or notification tries again
      }
      // Ended meanwhile through another read (a notification during this one's turn).
      if (!now || this.remote.get(id) !== entry) continue;
      const before = entry.job.status;
      entry.job = now;
      if (before === "queued" && now.status !== "queued" && !isTerminalStatus(now.status))
        this.deps.events.emit("job:started", now);
      if (!isTerminalStatus(now.status)) continue;
      this.remote.delete(now.id);
      const ended = entry.request ? this.withRetry({ request: entry.request }, now) : now;
      this.deps.events.emit(endEventFor(ended), ended);
      entry.resolveDone(ended);
    }
    if (this.remote.size === 0 && this.remoteTimer) {
      clearInterval(this.remoteTimer);
      this.remoteTimer = undefined;
    }
  }

  /** Failed jobs whose next attempt waits for its backoff. */
  pendingRetries(agent?: string): RetryRef[] {
    return this.retries.list(agent);
  }

  isActive(jobId: string): boolean {
    return this.active.has(jobId) || this.remote.has(jobId);
  }

  /**
   * Graceful stop: no new jobs; queued ones are cancelled; running ones get `timeoutMs` to finish,
   * then are cancelled. Resolves when every job has reached a terminal status.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.retries.stop();
    // Jobs workers run go on without this daemon; it only stops following them.
    clearInterval(this.remoteTimer);
    this.remoteTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.recordPending();
    clearInterval(this.retryTimer);
    for (const id of [...this.line]) await this.cancel(id);
    const running = [...this.active.values()].map((e) => e.done);
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), timeoutMs);
    });
    const outcome = await Promise.race([Promise.all(running), expired]);
    clearTimeout(timer);
    if (outcome === "expired") {
      for (const entry of this.active.values()) entry.controller.abort();
      await Promise.all([...this.active.values()].map((e) => e.done));
    }
  }

  private blockedBy(request: JobRequest): FleetError | undefined {
    const { agent } = request;
    const running = [...this.active.values()].filter((e) => e.running);
    if (request.lane !== undefined && [...this.active.values()].some((e) => e.request.lane === request.lane))
      return laneBusy(agent.name);
    const agentLimit = agent.instances?.max_concurrent ?? 1;
    const agentRunning = running.filter((e) => e.job.agent === agent.name).length;
    const agentQueued = this.line.filter((id) => this.active.get(id)?.job.agent === agent.name).length;
    // Jobs already in line keep their turn: a newcomer may not overtake them.
    if (agentRunning + agentQueued >= agentLimit)
      return atCapacity(agent.name, agentRunning, agentLimit, "agent");
    const fleetLimit = this.deps.maxConcurrentJobs;
    if (fleetLimit !== undefined && running.length + this.line.length >= fleetLimit) {
      return atCapacity(agent.name, running.length, fleetLimit, "fleet");
    }
    return undefined;
  }

  private canStart(entry: ActiveJob): boolean {
    const running = [...this.active.values()].filter((e) => e.running);
    const lane = entry.request.lane;
    if (lane !== undefined && running.some((e) => e.request.lane === lane)) return false;
    const agentLimit = entry.request.agent.instances?.max_concurrent ?? 1;
    if (running.filter((e) => e.job.agent === entry.job.agent).length >= agentLimit) return false;
    const fleetLimit = this.deps.maxConcurrentJobs;
    return fleetLimit === undefined || running.length < fleetLimit;
  }

  private launch(entry: ActiveJob): void {
    entry.running = true;
    const { executor, events } = this.deps;
    void executor
      .run(entry.job.id, entry.request, {
        signal: entry.controller.signal,
        onStart: (job) => {
          entry.job = job;
          events.emit("job:started", job);
        },
        onMessage: (message, job) => {
          events.emit("job:output", { jobId: job.id, agent: job.agent, message });
        },
        onNotice: (text, job) => {
          events.emit("job:output", {
            jobId: job.id,
            agent: job.agent,
            message: herdctlNotice(text),
          });
        },
      })
      .catch((error: unknown) => this.failUnexpectedly(entry, error))
      .then((job) => this.settle(entry, job));
  }

  /** A bug or a storage failure outside the runtime: the job still must not stay "running". */
  private failUnexpectedly(entry: ActiveJob, error: unknown): JobRecord {
    const message = error instanceof Error ? error.message : String(error);
    try {
      const current = this.deps.state.jobs.require(entry.job.id);
      if (isTerminalStatus(current.status)) return current;
      if (current.status === "queued") this.deps.state.jobs.start(entry.job.id);
      return this.deps.state.jobs.finish(entry.job.id, {
        status: "failed",
        exitReason: "error",
        error: message,
      });
    } catch {
      this.unrecorded.set(entry.job.id, { status: "failed", exitReason: "error", error: message });
      this.retryTimer ??= setInterval(() => this.recordPending(), 1_000).unref();
      return { ...entry.job, status: "failed", exitReason: "error", error: message };
    }
  }

  /** Writes the final records that failed before; keeps the ones that still cannot be written. */
  private recordPending(): void {
    for (const [id, outcome] of this.unrecorded) {
      try {
        if (!isTerminalStatus(this.deps.state.jobs.require(id).status))
          this.deps.state.jobs.finish(id, outcome);
        this.unrecorded.delete(id);
      } catch {
        return;
      }
    }
    if (this.unrecorded.size === 0 && this.retryTimer) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private settle(entry: ActiveJob, ended: JobRecord): void {
    const job = this.withRetry(entry, ended);
    entry.job = job;
    this.active.delete(job.id);
    try {
      this.deps.events.emit(endEventFor(job), job);
    } catch (error) {
      // A listener that failed must not keep the job's waiters or the queued jobs waiting.
      this.deps.log?.(`job ${job.id}: telling of its end failed (${(error as Error).message})`);
    }
    entry.resolveDone(job);
    this.admitFromLine();
    const { warm } = this.deps;
    // After the job's end has reached its waiters: the warm claude's spawn must not delay the answer.
    if (warm)
      setImmediate(() => {
        if (!this.closed && ![...this.active.values()].some((e) => e.job.agent === job.agent))
          warm.idle(job.agent);
      });
  }

  /** Plans the job's next attempt when its retry policy allows one; the record then says when. */
  private withRetry(entry: Pick<ActiveJob, "request">, job: JobRecord): JobRecord {
    try {
      return this.retries.jobEnded(job, entry.request);
    } catch (error) {
      this.deps.log?.(`could not plan a retry of job ${job.id}: ${(error as Error).message}`);
      return job;
    }
  }

  private admitFromLine(): void {
    for (const id of [...this.line]) {
      const entry = this.active.get(id);
      if (!entry) continue;
      if (this.closed) break;
      if (this.canStart(entry)) {
        this.removeFromLine(id);
        this.launch(entry);
      }
    }
  }

  private removeFromLine(jobId: string): void {
    const i = this.line.indexOf(jobId);
    if (i >= 0) this.line.splice(i, 1);
  }
}
