import type { ResolvedAgent } from "../config/index.js";
import { scheduleSessionRequest } from "../runner/session-policy.js";
import type { ScheduleFire, Scheduler, ScheduleSkip } from "../scheduler/index.js";
import type { JobRecord, ScheduleRunStatus, StateManager } from "../state/index.js";
import { ownValue } from "../util/own.js";
import { FleetError } from "./errors.js";
import type { FleetEventBus } from "./events.js";
import type { JobControl } from "./job-control.js";

/** The prompt a scheduled run gets when neither the schedule nor the agent names one. */
export function fallbackSchedulePrompt(schedule: string): string {
  return `Run your scheduled task (schedule "${schedule}").`;
}

/**
 * A fire that met an unreachable database (a restart, a failover, a cut network) is tried again
 * after these waits, then every last one, for up to UNREACHABLE_GIVE_UP_MS: a cron schedule would
 * otherwise lose that run until its next time. The fire keeps its key, so a try whose commit did
 * land before the connection broke is not enqueued twice; until it is settled the schedule counts
 * as running, so no other fire of it overlaps.
 */
const UNREACHABLE_RETRY_MS = [500, 1_000, 2_000, 4_000, 8_000];
const UNREACHABLE_GIVE_UP_MS = 5 * 60_000;

/**
 * Turns scheduler fires into jobs through the same admission path as every other trigger, and
 * reports each job's start and end back to the scheduler (interval timing and overlap use them).
 */
export class ScheduleExecutor {
  /** job id → the schedule that started it. */
  private readonly scheduledJobs = new Map<string, { agent: string; schedule: string }>();

  constructor(
    private readonly deps: {
      scheduler: () => Scheduler;
      control: JobControl;
      state: StateManager;
      events: FleetEventBus;
      agent: (name: string) => ResolvedAgent | undefined;
      log: (line: string) => void;
      /** The fleet's clock: schedule times must agree with the scheduler's. */
      now: () => Date;
      /**
       * Several daemons on one PostgreSQL database: only the leader fires, and each fire's key is
       * claimed with its job, so a fire two schedulers planned is enqueued once. Absent on SQLite.
       */
      cluster?: () => { readonly isLeader: boolean; readonly id: string } | undefined;
    },
  ) {}

  fire(fire: ScheduleFire, retry?: { attempt: number; since: number }): void {
    const { control, state, events } = this.deps;
    const agent = this.deps.agent(fire.agent);
    const schedule = ownValue(agent?.schedules, fire.schedule);
    if (!agent || !schedule) {
      this.deps.scheduler().runFinished(fire.agent, fire.schedule, this.deps.now());
      return;
    }
    const cluster = this.deps.cluster?.();
    // Asked at the moment of firing: a leader that lost the lock without knowing yet sees false.
    if (cluster && !cluster.isLeader) {
      this.deps.scheduler().runFinished(fire.agent, fire.schedule, this.deps.now());
      this.deps.log(`schedule ${fire.agent}/${fire.schedule}: not fired, this daemon no longer leads`);
      return;
    }
    const submit = () =>
      control.submit({
        agent,
        prompt: schedule.prompt ?? agent.default_prompt ?? fallbackSchedulePrompt(fire.schedule),
        triggerType: "schedule",
        schedule: fire.schedule,
        session: scheduleSessionRequest(schedule),
        ...(schedule.gate ? { gate: schedule.gate } : {}),
      });
    try {
      const fires = cluster ? state.scheduleFires : undefined;
      const key = { agent: fire.agent, schedule: fire.schedule, plannedAt: fire.scheduledAt };
      const job = fires
        ? state.transaction(() => (fires.claim(key, cluster!.id) ? submit() : undefined))
        : submit();
      if (job === undefined) {
        this.deps.scheduler().runFinished(fire.agent, fire.schedule, this.deps.now());
        this.deps.log(
          `schedule ${fire.agent}/${fire.schedule}: the fire planned for ${fire.scheduledAt.toISOString()} was already enqueued by another daemon`,
        );
        return;
      }
      if (retry)
        this.deps.log(
          `schedule ${fire.agent}/${fire.schedule}: the fire planned for ${fire.scheduledAt.toISOString()} was enqueued after ${retry.attempt + 1} tries`,
        );
      this.scheduledJobs.set(job.id, { agent: fire.agent, schedule: fire.schedule });
      this.deps.scheduler().runStarted(fire.agent, fire.schedule);
      state.schedules.upsert(fire.agent, fire.schedule, {
        lastRunAt: this.deps.now(),
        lastStatus: "running",
      });
      events.emit("schedule:fired", {
        agent: fire.agent,
        schedule: fire.schedule,
        scheduledAt: fire.scheduledAt.toISOString(),
        jobId: job.id,
        reason: fire.reason,
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === "STATE_UNREACHABLE") {
        const attempt = retry?.attempt ?? 0;
        const since = retry?.since ?? Date.now();
        if (Date.now() - since < UNREACHABLE_GIVE_UP_MS) {
          if (attempt === 0)
            this.deps.log(
              `schedule ${fire.agent}/${fire.schedule}: the database cannot be reached to enqueue the fire planned for ${fire.scheduledAt.toISOString()}; trying again until it can (${(error as Error).message})`,
            );
          const wait = UNREACHABLE_RETRY_MS[Math.min(attempt, UNREACHABLE_RETRY_MS.length - 1)]!;
          setTimeout(() => this.fire(fire, { attempt: attempt + 1, since }), wait).unref();
          return;
        }
      }
      // Admission refused: the scheduler must not think it is running.
      this.deps.scheduler().runFinished(fire.agent, fire.schedule, this.deps.now());
      if (error instanceof FleetError && error.code === "FLEET_OVER_BUDGET") {
        this.skip({ ...fire, reason: "budget", detail: error.message });
        return;
      }
      if (error instanceof FleetError && error.code === "FLEET_USAGE_LIMITED") {
        this.skip({ ...fire, reason: "usage_limit", detail: error.message });
        return;
      }
      this.deps.log(
        `schedule ${fire.agent}/${fire.schedule} could not start a job: ${(error as Error).message}`,
      );
    }
  }

  skip(skip: ScheduleSkip): void {
    this.deps.state.events.append({
      type: "schedule:skipped",
      agent: skip.agent,
      data: {
        schedule: skip.schedule,
        scheduledAt: skip.scheduledAt.toISOString(),
        reason: skip.reason,
        ...(skip.detail ? { detail: skip.detail } : {}),
      },
    });
    this.deps.events.emit("schedule:skipped", {
      agent: skip.agent,
      schedule: skip.schedule,
      scheduledAt: skip.scheduledAt.toISOString(),
      reason: skip.reason,
      ...(skip.detail ? { detail: skip.detail } : {}),
    });
  }

  /** `overlap: replace`: cancel the schedule's running job before the new one starts. */
  replace(agent: string, schedule: string): void {
    for (const [jobId, owner] of this.scheduledJobs) {
      if (owner.agent === agent && owner.schedule === schedule)
        void this.deps.control.cancel(jobId).catch(() => {});
    }
  }

  /** Called for every job end; only scheduled jobs matter here. */
  jobEnded(job: JobRecord): void {
    const outcome = { lastStatus: job.status as ScheduleRunStatus, lastError: job.error };
    const owner = this.scheduledJobs.get(job.id);
    if (!owner) {
      // A retry of a fired job: its end is the schedule's latest result. The scheduler's run
      // ended with the first attempt, so its timing is left alone.
      if (job.retryOf !== null && job.triggerType === "schedule" && job.schedule !== null)
        this.deps.state.schedules.upsert(job.agent, job.schedule, outcome);
      return;
    }
    this.scheduledJobs.delete(job.id);
    const now = this.deps.now();
    try {
      // A schedule removed while its job ran keeps no row: the removal already forgot it.
      if (ownValue(this.deps.agent(owner.agent)?.schedules, owner.schedule))
        this.deps.state.schedules.upsert(owner.agent, owner.schedule, outcome);
    } catch (error) {
      // The database away (a restart): the row says the run's result at the next one. The
      // scheduler must hear of the end all the same, or the schedule counts as running for good
      // and every later fire is skipped as an overlap.
      this.deps.log(
        `schedule ${owner.agent}/${owner.schedule}: the result of job ${job.id} could not be recorded (${(error as Error).message})`,
      );
    }
    this.deps.scheduler().runFinished(owner.agent, owner.schedule, now);
  }
}
