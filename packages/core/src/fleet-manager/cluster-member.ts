import { z } from "zod";
import type { ClusterWorker, JobOutcome, WorkerEvent } from "../cluster/cluster-worker.js";
import type { JobNoticeSource } from "../cluster/job-notices.js";
import { RepeatFilter } from "../cluster/repeat-filter.js";
import type { ClaimedJob } from "../cluster/work-queue.js";
import type { WorkerIdentity } from "../cluster/worker-registry.js";
import type { ResolvedAgent } from "../config/index.js";
import { herdctlNotice, type JobExecutor, type JobRequest } from "../runner/job-executor.js";
import type { JobRecord, StateManager } from "../state/index.js";
import type { FleetEventBus } from "./events.js";

/** The prompt of a job that continues one whose worker died (as the daemon's own resume says). */
export const RESUME_PROMPT =
  "herdctl: your previous run was interrupted before it finished. Continue the task where you left off.";

/**
 * How often a running job's record is read for a cancel asked on another machine: the safety net
 * only. The cancel's notification (cluster/job-notices.ts) is heard at once; this catches one
 * sent while the LISTEN connection was down and missed by the reconnect's re-read.
 */
const CANCEL_POLL_MS = 5_000;

/**
 * What a queue row may say (it is read back from the database, which the worker trusts, but its
 * shape is checked): which job record to run, or which interrupted one to continue, and how to
 * pick the session. Nothing else: the agent's definition, runtime, model, working directory and
 * Docker settings come from the fleet file this worker loaded (docs/security.md).
 */
const Session = z.union([
  z.strictObject({ mode: z.literal("continue"), maxContextTokens: z.number().int().positive().optional() }),
  z.strictObject({ mode: z.literal("fresh"), notice: z.string().max(2_000).optional() }),
  z.strictObject({ mode: z.literal("resume"), sessionId: z.string().min(1).max(200) }),
]);
const Payload = z.union([
  z.strictObject({ jobId: z.string().min(1).max(100), session: Session }),
  z.strictObject({ resumeOf: z.string().min(1).max(100) }),
]);

export interface ClusterMemberOptions {
  url: string;
  identity: WorkerIdentity;
  state: StateManager;
  executor: JobExecutor;
  events: FleetEventBus;
  /** The agent as this process's fleet file defines it; undefined when it has none of that name. */
  agent: (name: string) => ResolvedAgent | undefined;
  /** Names the fleet file in the error of a job whose agent it lacks. */
  configPath: string;
  /**
   * A cancel this process took while PostgreSQL was away and has not written yet: such a job,
   * claimed by this worker meanwhile, ends cancelled instead of running.
   */
  cancelPending?: (jobId: string) => boolean;
  log: (line: string) => void;
  /** Changes of job records: a cancel asked elsewhere is heard at once. */
  notices?: JobNoticeSource;
  /**
   * Lease, heartbeat, reaper and poll periods (tests shorten them); `cancelPollMs`, the safety
   * net's period for cancels (CANCEL_POLL_MS; tests lengthen it).
   */
  timings?: {
    leaseMs?: number;
    heartbeatMs?: number;
    reapMs?: number;
    pollMs?: number;
    cancelPollMs?: number;
  };
  /** 0 for a daemon, which may claim nothing and still be a member for its own jobs. */
  minSlots?: 0 | 1;
  /** After each heartbeat the database answered (ClusterWorkerOptions). */
  afterHeartbeat?: () => void;
}

/**
 * One herdctl process as a member of a PostgreSQL fleet (`herdctl worker`, and every
 * `herdctl start`, even one with no slots, since the jobs it runs itself name it): claims queued jobs with a ClusterWorker and runs each through the same
 * JobExecutor a daemon uses, so a job on a worker is the job it would be on the daemon. The job's
 * record gets this worker's id; a cancel asked elsewhere (`cancel_requested`) stops it here.
 */
export class ClusterMember {
  private worker: ClusterWorker | undefined;
  /** An outage fails each of the worker's loops every second: each error is told once a minute. */
  private readonly repeats = new RepeatFilter();

  constructor(private readonly options: ClusterMemberOptions) {}

  get id(): string {
    return this.options.identity.id;
  }

  async start(): Promise<void> {
    const { ClusterWorker } = await import("../cluster/cluster-worker.js");
    const { cancelPollMs: _, ...timings } = this.options.timings ?? {};
    this.worker = new ClusterWorker({
      connectionString: this.options.url,
      identity: this.options.identity,
      minSlots: this.options.minSlots,
      ...timings,
      run: (job, signal) => this.run(job, signal),
      onEvent: (event) => this.report(event),
      afterHeartbeat: this.options.afterHeartbeat,
    });
    await this.worker.start();
  }

  private stopping: Promise<void> | undefined;

  /**
   * Stops claiming; running jobs finish (`drain`, the default) or are cancelled. Called again
   * with `drain: false` while draining, it cancels the jobs still running (a second SIGTERM).
   */
  stop(options: { drain?: boolean } = {}): Promise<void> {
    if (this.stopping && options.drain === false) this.worker?.abortRunning();
    this.stopping ??= this.worker?.stop(options) ?? Promise.resolve();
    return this.stopping;
  }

  private async run(claimed: ClaimedJob, signal: AbortSignal): Promise<JobOutcome> {
    const { state, executor, events } = this.options;
    const parsed = Payload.safeParse(claimed.payload);
    if (!parsed.success) {
      const error = `queue row ${claimed.id} does not name a job in a form this worker knows (${describeIssue(parsed.error)}); it was not run`;
      const jobId = claimed.payload.jobId;
      if (typeof jobId === "string") this.failRecord(jobId, error);
      return failed(error);
    }
    const payload = parsed.data;
    const prepared =
      "resumeOf" in payload ? this.resumeOf(claimed, payload.resumeOf) : this.queued(claimed, payload);
    if ("error" in prepared) {
      if ("jobId" in payload) this.failRecord(payload.jobId, prepared.error);
      return failed(prepared.error);
    }
    const { job, request } = prepared;
    state.jobs.update(job.id, { workerId: this.id });
    if (this.options.cancelPending?.(job.id)) {
      state.jobs.finish(job.id, {
        status: "cancelled",
        exitReason: "cancelled",
        error: "cancelled before a worker took it",
      });
      return { status: "cancelled" };
    }
    // A cancel asked on another machine sets the job's flag; this is where it is heard: at its
    // notification, at each (re)connection of the LISTEN, and by the slow poll.
    const cancel = new AbortController();
    const check = () => {
      if (cancel.signal.aborted) return;
      try {
        if (state.jobs.get(job.id)?.cancelRequested) cancel.abort();
      } catch {
        // The database is away: the lease decides what happens to the job.
      }
    };
    const unsubscribe = this.options.notices?.subscribe({
      job: (id) => {
        if (id === job.id) check();
      },
      listening: check,
    });
    const poll = setInterval(check, this.options.timings?.cancelPollMs ?? CANCEL_POLL_MS).unref();
    // Asked before this subscription began (between the claim and now): no notification will come.
    check();
    const ended = await executor
      .run(job.id, request, {
        signal: AbortSignal.any([signal, cancel.signal]),
        onMessage: (message, current) =>
          events.emit("job:output", { jobId: current.id, agent: current.agent, message }),
        onNotice: (text, current) =>
          events.emit("job:output", {
            jobId: current.id,
            agent: current.agent,
            message: herdctlNotice(text),
          }),
      })
      .finally(() => {
        clearInterval(poll);
        unsubscribe?.();
      });
    if (ended.status === "completed" || ended.status === "skipped") return { status: "completed" };
    if (ended.status === "cancelled") return { status: "cancelled" };
    return { status: "failed", error: ended.error ?? ended.status };
  }

  /** The job record the daemon queued with this row. */
  private queued(
    claimed: ClaimedJob,
    payload: { jobId: string; session: z.infer<typeof Session> },
  ): { job: JobRecord; request: JobRequest } | { error: string } {
    const job = this.options.state.jobs.get(payload.jobId);
    if (!job) return { error: `job ${payload.jobId} of queue row ${claimed.id} is not in the state` };
    if (job.agent !== claimed.agent)
      return {
        error: `queue row ${claimed.id} names agent ${claimed.agent} but job ${job.id} is ${job.agent}`,
      };
    if (job.status !== "queued")
      return { error: `job ${job.id} is ${job.status}, not queued; it was not run` };
    const agent = this.agentOf(job.agent);
    if ("error" in agent) return agent;
    const schedule = job.schedule ? agent.schedules?.[job.schedule] : undefined;
    return {
      job,
      request: {
        agent,
        prompt: job.prompt,
        triggerType: job.triggerType,
        schedule: job.schedule ?? undefined,
        session: payload.session,
        resumedFrom: job.resumedFrom ?? undefined,
        forkedFrom: job.forkedFrom ?? undefined,
        ...(schedule?.gate ? { gate: schedule.gate } : {}),
      },
    };
  }

  /** A job whose worker died: recorded here as a new job that continues its session. */
  private resumeOf(
    claimed: ClaimedJob,
    jobId: string,
  ): { job: JobRecord; request: JobRequest } | { error: string } {
    const { state, executor } = this.options;
    const old = state.jobs.get(jobId);
    if (!old) return { error: `job ${jobId}, to be resumed by queue row ${claimed.id}, is not in the state` };
    if (old.agent !== claimed.agent)
      return {
        error: `queue row ${claimed.id} names agent ${claimed.agent} but job ${old.id} is ${old.agent}`,
      };
    if (!old.sessionId) return { error: `job ${old.id} had no session yet; there is nothing to resume` };
    const agent = this.agentOf(old.agent);
    if ("error" in agent) return agent;
    const request: JobRequest = {
      agent,
      prompt: RESUME_PROMPT,
      triggerType: "resume",
      schedule: old.schedule ?? undefined,
      session: { mode: "resume", sessionId: old.sessionId },
      resumedFrom: old.id,
    };
    const job = state.transaction(() => {
      const created = executor.enqueue(request);
      state.clusterJobs?.adopt(claimed.id, {
        jobId: created.id,
        session: { mode: "resume", sessionId: old.sessionId! },
      });
      return created;
    });
    this.options.log(`resuming job ${old.id}, interrupted on another worker, as ${job.id}`);
    return { job, request };
  }

  /** A queued job this worker cannot run ends `failed` with why, rather than waiting forever. */
  private failRecord(jobId: string, error: string): void {
    const { state } = this.options;
    try {
      state.transaction(() => {
        if (state.jobs.get(jobId)?.status !== "queued") return;
        state.jobs.start(jobId);
        state.jobs.finish(jobId, { status: "failed", exitReason: "error", error });
      });
    } catch (e) {
      this.options.log(`worker ${this.id}: could not record job ${jobId} as failed: ${(e as Error).message}`);
    }
  }

  private agentOf(name: string): ResolvedAgent | { error: string } {
    return (
      this.options.agent(name) ?? {
        error: `agent ${name} is not in this worker's fleet file (${this.options.configPath}); give every worker the same fleet file`,
      }
    );
  }

  private report(event: WorkerEvent): void {
    const { log } = this.options;
    if (event.event === "error") {
      const line = this.repeats.pass(event.where, `worker ${this.id}: ${event.where}: ${event.message}`);
      if (line !== undefined) log(line);
    } else if (event.event === "lease-lost")
      log(`worker ${this.id}: lost the lease on queue row ${event.id}; another worker may run it`);
    else if (event.event === "reaped") {
      if (event.interrupted.length > 0)
        log(
          `worker ${this.id}: ${event.interrupted.length} job(s) of a worker that died or went silent interrupted` +
            (event.requeued.length > 0 ? `, ${event.requeued.length} queued again to resume` : ""),
        );
      if (event.orphans.length > 0)
        log(
          `worker ${this.id}: ${event.orphans.length} job(s) a daemon that died or went silent ran itself interrupted: ${event.orphans.join(", ")}`,
        );
    }
  }
}

/** The first problem zod found, as `path: message` (keys it did not expect are named). */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "payload"}: ${issue.message}` : "unknown shape";
}

function failed(error: string): JobOutcome {
  return { status: "failed", error };
}
