import type { FleetEventBus } from "../fleet-manager/events.js";
import type { AuditEntry, JobRecord, NewAuditEntry, StateManager } from "../state/index.js";
import { type AuditActor, cleanActor } from "./actor.js";

/**
 * Records what changes what runs. Explicit actions (a trigger, a cancel, an edit) are recorded by
 * the method that performs them, with the actor its caller named; jobs the fleet starts by itself
 * (schedules, wakes, retries, resumed interruptions, chat turns) are recorded from `job:queued`.
 * A failed write is a warning, never the action's failure: the action already happened.
 */
export class AuditTrail {
  constructor(
    private readonly state: () => StateManager,
    private readonly warn: (line: string) => void,
  ) {}

  record(
    action: string,
    actor: AuditActor,
    target: string | null,
    detail?: NewAuditEntry["detail"],
  ): AuditEntry | undefined {
    try {
      return this.state().audit.append({ action, ...cleanActor(actor), target, detail });
    } catch (error) {
      this.warn(`audit: could not record ${action} of ${target ?? "the fleet"}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Records the jobs nobody triggered by hand; returns the unsubscribe function. */
  watch(events: FleetEventBus): () => void {
    const onQueued = (job: JobRecord) => {
      const actor = automaticActor(job);
      if (actor) this.record("job.trigger", actor, job.id, { agent: job.agent, trigger: job.triggerType });
    };
    events.on("job:queued", onQueued);
    return () => events.off("job:queued", onQueued);
  }
}

/** The actor of a job the fleet started itself; undefined for triggers recorded where they were made. */
function automaticActor(job: JobRecord): AuditActor | undefined {
  if (job.attempt > 1 && job.retryOf)
    return { via: "retry", who: `attempt ${job.attempt} of ${job.retryOf}` };
  switch (job.triggerType) {
    case "schedule":
      return { via: "schedule", who: `${job.agent}/${job.schedule ?? "?"}` };
    case "wake":
      return { via: "wake", who: job.agent };
    case "resume":
      return { via: "resume", who: `continues ${job.resumedFrom ?? "an interrupted job"}` };
    default:
      // manual, web, webhook and chat turns carry their caller's actor from where they were made.
      return undefined;
  }
}
