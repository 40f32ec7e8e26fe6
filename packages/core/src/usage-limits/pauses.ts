import type { AuditActor } from "../audit/actor.js";
import type { ResolvedAgent } from "../config/index.js";
import { FleetError } from "../fleet-manager/errors.js";
import type { FleetEventBus, JobOutputEvent } from "../fleet-manager/events.js";
import type { HookUsageLimit } from "../hooks/index.js";
import { type Clock, DEFAULT_CATCH_UP_WINDOW_MS, type TimerHandle } from "../scheduler/index.js";
import type { JobRecord, StateManager, UsagePause } from "../state/index.js";
import { ownValue } from "../util/own.js";
import type { CredentialId } from "./credential.js";
import { describePause } from "./describe.js";
import { LimitWatch, limitSignalOf, pauseEnd } from "./detect.js";
import { pauseStatuses, type UsageLimitStatus } from "./status.js";

/** The audit trail's actor for pauses and resumes: herdctl itself, on the API's word. */
export const USAGE_LIMIT_ACTOR: AuditActor = { via: "fleet", who: "usage-limit watch" };

/** A scheduled fire skipped during a pause that the schedule's catch-up policy runs afterwards. */
interface CatchUp {
  readonly agent: string;
  readonly schedule: string;
  readonly scheduledAt: Date;
}

/**
 * Pauses the work of a credential whose usage limit was reached, until the reset the API named:
 * fires are skipped and triggers refused (unless forced) in between, so nothing is sent. At the
 * reset one job goes first as the probe (the latest skipped fire a schedule's catch-up policy
 * wants); when it meets no limit the pause ends and the other schedules catch up, when it does the
 * pause starts again from the new reset. Pauses live in the state, so a restart keeps them.
 */
export class UsagePauses {
  private readonly watches = new Map<string, LimitWatch>();
  private readonly timers = new Map<string, TimerHandle>();
  /** Catch-ups waiting for the probe to come back clean, per credential. */
  private readonly waiting = new Map<string, CatchUp[]>();

  constructor(
    private readonly deps: {
      state: () => StateManager;
      clock: Clock;
      events: FleetEventBus;
      agents: () => readonly ResolvedAgent[];
      credentialOf: (agent: string) => CredentialId;
      /** Starts a schedule's run as its scheduler would; throws when admission refuses it. */
      fireCatchUp: (catchUp: CatchUp) => void;
      record: (
        action: string,
        actor: AuditActor,
        target: string | null,
        detail: Record<string, unknown>,
      ) => void;
      /** The usage_limited hooks of the agent whose job met the limit. */
      runHooks: (job: JobRecord, limit: HookUsageLimit) => Promise<unknown>;
      log: (line: string) => void;
      timezone: () => string | undefined;
    },
  ) {}

  /** Arms the reset of every stored pause; one whose probe died with the last process probes again. */
  start(): void {
    for (const pause of this.deps.state().usagePauses.list()) {
      if (pause.probeJobId) this.deps.state().usagePauses.setProbe(pause.credential, null);
      this.arm(pause);
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
  }

  /** Every streamed message passes here; only jobs that show a limit are remembered. */
  observe(event: JobOutputEvent): void {
    const known = this.watches.get(event.jobId);
    if (!known && !limitSignalOf(event.message)) return;
    const watch = known ?? new LimitWatch();
    watch.observe(event.message);
    this.watches.set(event.jobId, watch);
  }

  /**
   * Admission: throws FLEET_USAGE_LIMITED while the agent's credential is paused, unless forced.
   * After the reset the first job through is the probe; the returned callback names it.
   */
  admit(
    agent: string,
    options: { force: boolean; scheduled: boolean },
  ): ((jobId: string) => void) | undefined {
    const credential = this.deps.credentialOf(agent);
    const pause = this.deps.state().usagePauses.get(credential.id);
    if (!pause || options.force) return undefined;
    // A bare 429 names no reset and may be a passing rate limit: scheduled work waits (no
    // hammering), but a person's trigger goes through, and is not taken for the probe.
    if (pause.source === "unknown" && !options.scheduled) return undefined;
    const reset = this.deps.clock.now() >= new Date(pause.until);
    if (!reset || pause.probeJobId) throw limited(agent, pause, this.deps.timezone());
    return (jobId) => {
      this.deps.state().usagePauses.setProbe(pause.credential, jobId);
      this.deps.log(`usage limit of ${pause.label}: job ${jobId} probes whether it lifted`);
    };
  }

  /** Called for every job end: a limit met starts a pause; the probe's end decides the pause's. */
  jobEnded(job: JobRecord): void {
    const signal = this.watches.get(job.id)?.seen;
    this.watches.delete(job.id);
    const credential = this.deps.credentialOf(job.agent);
    const pause = this.deps.state().usagePauses.get(credential.id);
    const isProbe = pause?.probeJobId === job.id;
    if (signal && job.status === "failed") {
      const now = this.deps.clock.now();
      const { until, clamped } = pauseEnd(signal, now);
      if (clamped)
        this.deps.log(
          `usage limit of ${credential.label}: the API named a reset at ${signal.resetsAt?.toISOString()}; pausing at most 7 days, until ${until.toISOString()}`,
        );
      const stored = {
        credential: credential.id,
        label: credential.label,
        pausedAt: pause?.pausedAt ?? now.toISOString(),
        until: until.toISOString(),
        source: signal.resetsAt ? signal.source : "unknown",
        message: signal.message,
        jobId: job.id,
      };
      this.deps.state().usagePauses.put(stored);
      const agents = this.agentsOf(credential.id);
      this.deps.record("usage.pause", USAGE_LIMIT_ACTOR, credential.label, {
        until: stored.until,
        source: stored.source,
        job: job.id,
        agents,
        ...(clamped ? { clamped: true } : {}),
        ...(isProbe ? { probe: true } : {}),
      });
      this.deps.log(
        `usage limit of ${credential.label} reached (job ${job.id}): ${describePause(stored, this.deps.timezone())}`,
      );
      this.deps.events.emit("usage:paused", {
        credential: credential.label,
        until: stored.until,
        jobId: job.id,
        agents,
      });
      // Said once a pause: when it starts, and again when the probe after the reset meets the limit
      // still (a new reset time); not for every other job that meets it meanwhile.
      if (!pause || isProbe)
        void this.deps
          .runHooks(job, {
            credential: credential.label,
            resets_at: stored.until,
            source: stored.source,
            agents,
          })
          .catch((error) =>
            this.deps.log(`usage_limited hooks of ${job.agent}: ${(error as Error).message}`),
          );
      this.arm({ ...stored, probeJobId: null });
      return;
    }
    if (isProbe && pause) this.lift(pause, job.id);
  }

  /** Pauses now in force, with the agents each holds. */
  list(): UsageLimitStatus[] {
    return pauseStatuses(
      this.deps.state().usagePauses.list(),
      this.deps.agents().map((a) => a.name),
      (agent) => this.deps.credentialOf(agent).id,
    );
  }

  /** The pause holding this agent's work, if one does. */
  forAgent(agent: string): UsagePause | undefined {
    return this.deps.state().usagePauses.get(this.deps.credentialOf(agent).id);
  }

  private agentsOf(credential: string): string[] {
    return this.deps
      .agents()
      .filter((a) => this.deps.credentialOf(a.name).id === credential)
      .map((a) => a.name);
  }

  private arm(pause: UsagePause): void {
    const existing = this.timers.get(pause.credential);
    if (existing) this.deps.clock.clearTimeout(existing);
    const delay = Math.max(0, new Date(pause.until).getTime() - this.deps.clock.now().getTime());
    this.timers.set(
      pause.credential,
      this.deps.clock.setTimeout(() => {
        this.timers.delete(pause.credential);
        this.reset(pause.credential);
      }, delay),
    );
  }

  /** The reset time came: the first catch-up goes as the probe; with none the pause simply ends. */
  private reset(credential: string): void {
    const pause = this.deps.state().usagePauses.get(credential);
    if (!pause || pause.probeJobId) return;
    const catchUps = this.catchUps(pause);
    while (catchUps.length > 0) {
      const first = catchUps.shift()!;
      try {
        this.deps.fireCatchUp(first);
      } catch (error) {
        this.deps.log(
          `catch-up of ${first.agent}/${first.schedule} after the usage limit: ${(error as Error).message}`,
        );
        continue;
      }
      if (this.deps.state().usagePauses.get(credential)?.probeJobId) {
        this.waiting.set(credential, catchUps);
        return;
      }
    }
    this.lift(pause, null);
  }

  private lift(pause: UsagePause, probeJobId: string | null): void {
    this.deps.state().usagePauses.remove(pause.credential);
    const rest = this.waiting.get(pause.credential) ?? [];
    this.waiting.delete(pause.credential);
    this.deps.record("usage.resume", USAGE_LIMIT_ACTOR, pause.label, {
      pausedAt: pause.pausedAt,
      until: pause.until,
      ...(probeJobId ? { probe: probeJobId } : {}),
      catchUps: rest.map((c) => `${c.agent}/${c.schedule}`),
    });
    this.deps.log(
      `usage limit of ${pause.label} lifted${probeJobId ? ` (probe job ${probeJobId} met none)` : ""}`,
    );
    this.deps.events.emit("usage:resumed", { credential: pause.label, probeJobId });
    for (const catchUp of rest) {
      try {
        this.deps.fireCatchUp(catchUp);
      } catch (error) {
        this.deps.log(
          `catch-up of ${catchUp.agent}/${catchUp.schedule} after the usage limit: ${(error as Error).message}`,
        );
      }
    }
  }

  /**
   * Per schedule of the credential's agents, the latest fire skipped for this pause, when its
   * catch-up policy runs it: `catch_up: latest` (the default) within `catch_up_window`.
   */
  private catchUps(pause: UsagePause): CatchUp[] {
    const agents = new Map(this.deps.agents().map((a) => [a.name, a]));
    const latest = new Map<string, CatchUp>();
    const now = this.deps.clock.now().getTime();
    for (const event of this.deps.state().events.list({ type: "schedule:skipped", limit: 1000 })) {
      if (event.at < pause.pausedAt || !event.agent) continue;
      const data = event.data as { schedule?: unknown; scheduledAt?: unknown; reason?: unknown } | null;
      if (data?.reason !== "usage_limit" || typeof data.schedule !== "string") continue;
      const agent = agents.get(event.agent);
      const schedule = ownValue(agent?.schedules, data.schedule);
      if (!agent || !schedule || this.deps.credentialOf(agent.name).id !== pause.credential) continue;
      const scheduledAt = new Date(String(data.scheduledAt));
      if (Number.isNaN(scheduledAt.getTime())) continue;
      if ((schedule.catch_up ?? "latest") !== "latest") continue;
      if (now - scheduledAt.getTime() > (schedule.catch_up_window ?? DEFAULT_CATCH_UP_WINDOW_MS)) continue;
      const key = `${agent.name}\0${data.schedule}`;
      const seen = latest.get(key);
      if (!seen || seen.scheduledAt < scheduledAt)
        latest.set(key, { agent: agent.name, schedule: data.schedule, scheduledAt });
    }
    return [...latest.values()].sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime());
  }
}

/** A trigger refused during a pause; says until when, and the way around. */
export function limited(agent: string, pause: UsagePause, timezone: string | undefined): FleetError {
  return new FleetError(
    "FLEET_USAGE_LIMITED",
    `agent ${agent} is ${describePause(pause, timezone)}: its ${pause.label} reached its usage limit; scheduled runs are skipped until then. Trigger with --force (API: "force": true) to run anyway`,
  );
}
