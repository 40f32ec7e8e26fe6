import type { ContainerManager } from "../runner/runtime/container-manager.js";
import { killProcessGroup } from "../runner/runtime/process-group.js";
import type { JobRecord, StateManager } from "../state/index.js";

export const INTERRUPTED_REASON =
  "herdctl stopped unexpectedly while this job was running (found at the next start)";

export interface RecoveryReport {
  interrupted: JobRecord[];
  killedPids: number[];
  removedContainers: string[];
  restartedContainers: string[];
}

/**
 * On PostgreSQL, where several daemons share the jobs: only this daemon's previous life's jobs
 * (`workerId`: the id it took back), minus those a queue row still covers (`uncovered` keeps the
 * rest; such a job is the lease's business). Other machines' containers are not this one's, and
 * a persistent container may serve another daemon of this machine, so only the ephemeral
 * containers of the recovered jobs are removed.
 */
export interface RecoveryScope {
  workerId: string;
  uncovered: (jobIds: string[]) => string[];
}

/**
 * What a daemon does first after one died: jobs it left queued or running become `interrupted`,
 * their claude processes are killed, their containers removed (ephemeral) or restarted
 * (persistent, which ends any exec still running in them).
 */
export async function recoverFromCrash(
  state: StateManager,
  fleet: string,
  containers: ContainerManager | undefined,
  log: (line: string) => void,
  scope?: RecoveryScope,
): Promise<RecoveryReport> {
  // Listed first, then checked against the queue: a job claimed meanwhile gets this worker's id
  // only after its queue row runs, so a job listed here uncovered is not one claimed since.
  let stale = state.jobs.unfinished(scope ? { workerId: scope.workerId } : {});
  if (scope) {
    const keep = new Set(scope.uncovered(stale.map((j) => j.id)));
    stale = stale.filter((j) => keep.has(j.id));
  }
  const report: RecoveryReport = {
    interrupted: [],
    killedPids: [],
    removedContainers: [],
    restartedContainers: [],
  };
  // Processes and containers go first: once a job reads "interrupted", nothing of it still runs.
  for (const job of stale) {
    if (job.processGroup) report.killedPids.push(...killProcessGroup(job.processGroup));
    else if (job.pid !== null)
      log(
        `job ${job.id}: process ${job.pid} was recorded without its start time, so it was left running ` +
          "(the pid may belong to another program by now); end it yourself if it is still claude",
      );
  }
  if (containers && scope) {
    try {
      report.removedContainers = await containers.removeEphemeralOf(fleet, new Set(stale.map((j) => j.id)));
    } catch (error) {
      log(`could not remove the containers of jobs left by the previous run: ${(error as Error).message}`);
    }
  } else if (containers) {
    try {
      report.removedContainers = await containers.cleanupOrphans(fleet, new Set());
      const persistent = new Set(stale.map((j) => j.containerId).filter((id): id is string => Boolean(id)));
      for (const id of persistent) {
        if (report.removedContainers.includes(id)) continue;
        try {
          await containers.docker.getContainer(id).restart({ t: 1 });
          report.restartedContainers.push(id);
        } catch {
          // Already gone: nothing left running in it.
        }
      }
    } catch (error) {
      log(`could not clean up containers left by the previous run: ${(error as Error).message}`);
    }
  }
  const ids = state.jobs.interruptUnfinished(
    INTERRUPTED_REASON,
    scope ? { workerId: scope.workerId, ids: stale.map((j) => j.id) } : {},
  );
  report.interrupted = ids.map((id) => state.jobs.require(id));
  for (const job of report.interrupted) {
    state.events.append({
      type: "job:interrupted",
      agent: job.agent,
      jobId: job.id,
      data: { reason: INTERRUPTED_REASON },
    });
  }
  if (report.interrupted.length > 0) {
    log(`marked ${report.interrupted.length} job(s) left by a previous run as interrupted`);
  }
  return report;
}
