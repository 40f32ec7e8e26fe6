import type { Clock } from "./clock.js";
import { DueTimer } from "./due-timer.js";
import { InvalidScheduleError, ScheduleNotFoundError } from "./errors.js";
import { jitterMs, missedFire, nextRunAt } from "./next-run.js";
import type {
  FireReason,
  PersistedScheduleState,
  ScheduleConfig,
  ScheduleFire,
  ScheduleSkip,
  ScheduleSnapshot,
  SkipReason,
} from "./types.js";
import { scheduleProblem } from "./validate.js";

export interface SchedulerOptions {
  clock: Clock;
  /** Start a job. Must return at once: the scheduler never waits on a job. */
  onFire: (fire: ScheduleFire) => void;
  /** A fire that did not start a job, for the schedule's history. */
  onSkip: (skip: ScheduleSkip) => void;
  /** `overlap: replace`: cancel the running job of this schedule; called just before `onFire`. */
  onReplace?: (agent: string, schedule: string) => void;
  /** Returns values in [0, 1); drives jitter. */
  random?: () => number;
  /** A callback threw. By default the error is rethrown outside the scheduler's bookkeeping. */
  onError?: (error: unknown) => void;
}

interface Armed {
  readonly seq: number;
  readonly dueMs: number;
  readonly scheduledAt: Date;
  readonly reason: Exclude<FireReason, "queued">;
}

interface Slot {
  readonly agent: string;
  readonly name: string;
  config: ScheduleConfig;
  timingKey: string;
  enabledOverride?: boolean;
  /** When this schedule began being watched (start, reload, re-enable). */
  activatedAt: Date;
  lastRunAt?: Date;
  lastFinishedAt?: Date;
  /** Cron: the occurrence last fired, so it never fires twice. */
  lastFiredFor?: Date;
  /** A plan carried over a restart or a stop; consumed by the next activation. */
  carriedPlan?: Date;
  /** Jobs reported started and not yet finished. */
  running: number;
  /** Fires not yet reported started (or refused, via runFinished). */
  awaiting: number;
  /** scheduledAt of the one fire queued behind the running job. */
  pending?: Date;
  armed?: Armed;
}

interface QueueItem {
  readonly dueMs: number;
  readonly seq: number;
  readonly slot: Slot;
}

function timingKey(config: ScheduleConfig): string {
  const { type, interval, cron, timezone, enabled, start_delay, jitter } = config;
  return JSON.stringify([type, interval, cron, timezone, enabled, start_delay, jitter]);
}

function busy(slot: Slot): boolean {
  return slot.running + slot.awaiting > 0;
}

/**
 * Fires the schedules of every agent from one timer set for the earliest due fire.
 *
 * Contract with the caller: after `onFire`, report `runStarted` when the job starts and
 * `runFinished` when it ends; a fire that never starts a job (refused) is reported with
 * `runFinished` alone. Runs of a schedule started by hand are reported the same way, so overlap
 * policy and interval timing see them. Until then the schedule counts as running.
 */
export class Scheduler {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly agents = new Map<string, Map<string, Slot>>();
  private readonly timer: DueTimer<QueueItem>;
  private seq = 0;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.timer = new DueTimer(this.clock, {
      isCurrent: (item) => item.slot.armed?.seq === item.seq && this.isLive(item.slot),
      onDue: (item, now) => {
        const armed = item.slot.armed!;
        item.slot.armed = undefined;
        this.due(item.slot, armed, now);
      },
    });
  }

  private get started(): boolean {
    return this.timer.running;
  }

  /**
   * Sets an agent's schedules: at start, and on every reload. Unchanged schedules keep their timer
   * and run state; changed ones keep run state and are re-planned; `persisted` is read only for
   * schedules this scheduler has not seen. Throws before changing anything if a schedule is invalid.
   */
  setSchedules(
    agent: string,
    schedules: Readonly<Record<string, ScheduleConfig>>,
    persisted?: ReadonlyMap<string, PersistedScheduleState>,
  ): void {
    for (const [name, config] of Object.entries(schedules)) {
      const problem = scheduleProblem(config);
      if (problem !== undefined) throw new InvalidScheduleError(agent, name, problem);
    }
    const now = this.clock.now();
    const slots = this.agents.get(agent) ?? new Map<string, Slot>();
    this.agents.set(agent, slots);
    this.timer.batch(() => {
      for (const [name, slot] of slots) {
        if (!Object.hasOwn(schedules, name)) this.drop(slots, slot);
      }
      for (const [name, config] of Object.entries(schedules)) {
        const slot = slots.get(name);
        if (slot !== undefined) {
          this.update(slot, config, now);
          continue;
        }
        const saved = persisted?.get(name);
        const created: Slot = {
          agent,
          name,
          config,
          timingKey: timingKey(config),
          activatedAt: now,
          running: 0,
          awaiting: 0,
        };
        if (saved?.enabledOverride !== undefined) created.enabledOverride = saved.enabledOverride;
        if (saved?.lastRunAt !== undefined) created.lastRunAt = saved.lastRunAt;
        if (saved?.nextRunAt !== undefined) created.carriedPlan = saved.nextRunAt;
        slots.set(name, created);
        if (this.started) this.activate(created, now, true);
      }
    });
  }

  removeAgent(agent: string): void {
    const slots = this.agents.get(agent);
    if (slots === undefined) return;
    for (const slot of slots.values()) this.drop(slots, slot);
    this.agents.delete(agent);
    this.timer.refresh();
  }

  /** A job of this schedule started (fired by us, or triggered by hand). Unknown schedules are ignored. */
  runStarted(agent: string, schedule: string): void {
    const slot = this.agents.get(agent)?.get(schedule);
    if (slot === undefined) return;
    if (slot.awaiting > 0) slot.awaiting--;
    slot.running++;
    slot.lastRunAt = this.clock.now();
  }

  /**
   * A job of this schedule ended at `at`, or a fire was refused. An interval re-arms from `at`;
   * a queued fire starts now.
   */
  runFinished(agent: string, schedule: string, at: Date): void {
    const slot = this.agents.get(agent)?.get(schedule);
    if (slot === undefined) return;
    // A finish is credited to a started job first, so replace's old job ending before the new one
    // starts leaves the schedule busy.
    if (slot.running > 0) slot.running--;
    else if (slot.awaiting > 0) slot.awaiting--;
    slot.lastFinishedAt = at;
    if (busy(slot) || !this.started) return;
    if (slot.pending !== undefined && this.enabled(slot)) {
      const scheduledAt = slot.pending;
      slot.pending = undefined;
      this.fire(slot, scheduledAt, "queued");
      return;
    }
    if (slot.config.type === "interval" && this.enabled(slot)) this.armNext(slot, this.clock.now());
  }

  /**
   * Overrides the configured `enabled` (the caller persists it); undefined drops the override. A
   * dropped queued fire is reported.
   */
  setEnabled(agent: string, schedule: string, enabled: boolean | undefined): void {
    const slot = this.agents.get(agent)?.get(schedule);
    if (slot === undefined) {
      throw new ScheduleNotFoundError(agent, schedule, [...(this.agents.get(agent)?.keys() ?? [])]);
    }
    const was = this.enabled(slot);
    slot.enabledOverride = enabled;
    const now = this.enabled(slot);
    if (was === now) return;
    if (this.started) this.activate(slot, this.clock.now(), false);
    else if (!now) this.disable(slot);
  }

  /** Plans every schedule, catching up or reporting fires missed while stopped. Idempotent. */
  start(): void {
    if (this.started) return;
    this.timer.start();
    const now = this.clock.now();
    this.timer.batch(() => {
      for (const slots of this.agents.values()) {
        for (const slot of slots.values()) this.activate(slot, now, true);
      }
    });
  }

  /** Stops firing and clears the timer; run state and plans are kept for a later start. Idempotent. */
  stop(): void {
    if (!this.started) return;
    for (const slots of this.agents.values()) {
      for (const slot of slots.values()) {
        slot.carriedPlan = slot.armed?.scheduledAt;
        slot.armed = undefined;
      }
    }
    this.timer.stop();
  }

  snapshot(): ScheduleSnapshot[] {
    const rows: ScheduleSnapshot[] = [];
    for (const slots of this.agents.values()) {
      for (const slot of slots.values()) {
        rows.push({
          agent: slot.agent,
          schedule: slot.name,
          type: slot.config.type,
          enabled: this.enabled(slot),
          ...(slot.armed === undefined ? {} : { nextRunAt: slot.armed.scheduledAt }),
          ...(slot.lastRunAt === undefined ? {} : { lastRunAt: slot.lastRunAt }),
          running: busy(slot),
          pending: slot.pending !== undefined,
        });
      }
    }
    return rows;
  }

  private enabled(slot: Slot): boolean {
    return slot.enabledOverride ?? slot.config.enabled ?? true;
  }

  private update(slot: Slot, config: ScheduleConfig, now: Date): void {
    slot.config = config;
    const key = timingKey(config);
    if (key === slot.timingKey) return;
    slot.timingKey = key;
    if (slot.armed !== undefined) slot.carriedPlan = slot.armed.scheduledAt;
    if (this.started) this.activate(slot, now, false);
    else if (!this.enabled(slot)) this.disable(slot);
  }

  private drop(slots: Map<string, Slot>, slot: Slot): void {
    slot.armed = undefined;
    slots.delete(slot.name);
  }

  private disable(slot: Slot): void {
    slot.armed = undefined;
    if (slot.pending === undefined) return;
    const scheduledAt = slot.pending;
    slot.pending = undefined;
    this.skip(slot, scheduledAt, "disabled");
  }

  /** (Re)plans a schedule from scratch; `catchUp` looks for fires missed while nobody watched. */
  private activate(slot: Slot, now: Date, catchUp: boolean): void {
    const plannedAt = slot.carriedPlan;
    slot.carriedPlan = undefined;
    slot.activatedAt = now;
    slot.armed = undefined;
    if (!this.enabled(slot)) {
      this.disable(slot);
      return;
    }
    if (slot.config.type === "webhook") return;
    if (slot.pending !== undefined && !busy(slot)) {
      // Left over from a stop while a queued fire waited; its job has ended since.
      const scheduledAt = slot.pending;
      slot.pending = undefined;
      this.fire(slot, scheduledAt, "queued");
    }
    if (catchUp) {
      const missed = missedFire(slot.config, { lastRunAt: slot.lastRunAt, plannedAt, now });
      if (missed.missedAt !== undefined && missed.catchUp) {
        const dueMs = now.getTime() + (slot.config.start_delay ?? 0) + jitterMs(slot.config, this.random);
        this.arm(slot, dueMs, missed.missedAt, "catch_up");
        return;
      }
      if (missed.missedAt !== undefined) this.skip(slot, missed.missedAt, "missed");
    }
    this.armNext(slot, now, plannedAt);
  }

  private armNext(slot: Slot, now: Date, plannedAt?: Date): void {
    slot.armed = undefined;
    // An interval counts from the end of the run in progress; runFinished re-arms it.
    if (slot.config.type === "interval" && busy(slot)) return;
    const next = nextRunAt(slot.config, {
      lastRunStartedAt: slot.config.type === "cron" ? slot.lastFiredFor : slot.lastRunAt,
      lastRunFinishedAt: slot.lastFinishedAt,
      plannedAt,
      now,
      startedAt: slot.activatedAt,
    });
    if (next === undefined) return;
    this.arm(slot, next.getTime() + jitterMs(slot.config, this.random), next, "due");
  }

  private arm(slot: Slot, dueMs: number, scheduledAt: Date, reason: Armed["reason"]): void {
    const armed: Armed = { seq: ++this.seq, dueMs, scheduledAt, reason };
    slot.armed = armed;
    this.timer.push({ dueMs, seq: armed.seq, slot });
  }

  private due(slot: Slot, armed: Armed, now: Date): void {
    if (slot.config.type === "cron") slot.lastFiredFor = armed.scheduledAt;
    if (!busy(slot)) this.fire(slot, armed.scheduledAt, armed.reason);
    else if (slot.config.overlap === "replace") this.fire(slot, armed.scheduledAt, armed.reason);
    else if (slot.config.overlap === "queue" && slot.pending === undefined) slot.pending = armed.scheduledAt;
    else this.skip(slot, armed.scheduledAt, "overlap");
    // The fire's callbacks may have re-planned the slot already (reload, re-enable).
    if (slot.config.type === "cron" && slot.armed === undefined && this.isLive(slot) && this.enabled(slot)) {
      this.armNext(slot, new Date(Math.max(now.getTime(), armed.scheduledAt.getTime())));
    }
  }

  private fire(slot: Slot, scheduledAt: Date, reason: FireReason): void {
    const replacing = busy(slot);
    // Counted before the callbacks: onReplace may report the old job finished synchronously, and
    // the schedule must stay busy through that.
    slot.awaiting++;
    slot.lastRunAt = this.clock.now();
    const { agent, name: schedule } = slot;
    if (replacing) this.call(() => this.options.onReplace?.(agent, schedule));
    const fired = this.call(() => this.options.onFire({ agent, schedule, scheduledAt, reason }));
    // A fire whose callback threw started nothing: treat it as refused so the schedule carries on.
    if (!fired) this.runFinished(agent, schedule, this.clock.now());
  }

  private skip(slot: Slot, scheduledAt: Date, reason: SkipReason): void {
    const { agent, name: schedule } = slot;
    this.call(() => this.options.onSkip({ agent, schedule, scheduledAt, reason }));
  }

  /** Runs a callback; false if it threw. */
  private call(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (error) {
      if (this.options.onError !== undefined) this.options.onError(error);
      else
        queueMicrotask(() => {
          throw error;
        });
      return false;
    }
  }

  private isLive(slot: Slot): boolean {
    return this.agents.get(slot.agent)?.get(slot.name) === slot;
  }
}
