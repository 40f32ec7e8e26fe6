import type { ClusterJobRepository } from "../state/cluster-jobs.js";
import { defaultWorkerId } from "./worker-registry.js";

/**
 * A CLI process that runs jobs itself on a PostgreSQL fleet (`herdctl trigger` or `herdctl chat`
 * with no daemon), as a member of the fleet for as long as it runs them: no slots, a heartbeat,
 * its id on the jobs' records. Killed (kill -9, a closed terminal, the machine gone), its session
 * lock goes with its connection, and any daemon's reaper interrupts the job within a couple of
 * seconds (or, should the lock not be judged, once its lease has passed: cluster/reaper.ts);
 * without it the record would read `running` forever. With no daemon left to reap, the next CLI
 * run that joins (any machine) does: it makes one reaper pass as it joins. Frozen past its lease, its job is reaped
 * too, and it stops that job at the first heartbeat after it wakes (`afterHeartbeat`).
 *
 * It uses the state's own connection (a blocking round trip each heartbeat, a few a lease) rather
 * than a pool of its own: the trigger loads no `pg` client and opens no second connection for it.
 * The session lock is held on it too (sync-client.ts `everyConnect`: taken again on a new one).
 */
export interface InProcessMember {
  readonly id: string;
  /** Stops heartbeating and marks the row stopped; call once the job's record is final. */
  leave(): void;
}

/** The lease of a CLI run: the daemons' default, so a reaper ends its job as soon as theirs. */
export const IN_PROCESS_LEASE_MS = 10_000;

/** A member id that says it is a CLI run: `hostname-1a2b3c-cli` (63 characters at most). */
export function inProcessMemberId(): string {
  return `${defaultWorkerId()}-cli`;
}

export function joinAsInProcessMember(
  jobs: ClusterJobRepository,
  options: {
    version: string;
    warn: (message: string) => void;
    leaseMs?: number;
    /** After each heartbeat the database answered: stop the jobs a reaper ended meanwhile. */
    afterHeartbeat?: () => void;
  },
): InProcessMember {
  const id = inProcessMemberId();
  const leaseMs = options.leaseMs ?? IN_PROCESS_LEASE_MS;
  jobs.registerMember({ id, version: options.version, leaseMs });
  // Ends what dead members left running (a killed trigger's job) when no daemon is left to: after
  // this turn of the event loop, so the job's own start goes first. A failure costs nothing here.
  setImmediate(() => {
    jobs.reapDeadMembers().catch(() => {});
  });
  let warned = false;
  const beat = setInterval(
    () => {
      try {
        if (!jobs.heartbeatMember(id) && !warned) {
          warned = true;
          options.warn(`member ${id}: its row was stopped by someone else; a reaper may end this job`);
        }
        options.afterHeartbeat?.();
      } catch (error) {
        // The job goes on; the database is back (or not) by the next beat.
        if (!warned) options.warn(`member ${id}: heartbeat failed: ${(error as Error).message}`);
        warned = true;
      }
    },
    Math.floor(leaseMs / 3),
  );
  // The job keeps the process alive, not its heartbeat.
  beat.unref();
  let left = false;
  return {
    id,
    leave() {
      if (left) return;
      left = true;
      clearInterval(beat);
      try {
        jobs.stopMember(id);
      } catch (error) {
        // The row is judged by its lease then: silent past it, the reaper finds this job final.
        options.warn(`member ${id}: could not mark it stopped: ${(error as Error).message}`);
      }
    },
  };
}
