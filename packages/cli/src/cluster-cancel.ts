import type { JobRecord } from "@herdctl/core";
import { isTerminalStatus } from "@herdctl/core/internal/state/job-status";
import type { CommandContext } from "./context.js";
import { CliError } from "./errors.js";

/** How long `cancel` waits for the worker running the job to stop it (it looks every second). */
const WORKER_STOP_MS = 60_000;

/**
 * `herdctl cancel` on a PostgreSQL fleet with no daemon on this machine: a job no worker has
 * claimed is taken out of the queue; a running one is flagged (`cancel_requested`) for the worker
 * that runs it, wherever it is, and followed until it ends.
 */
export async function cancelOnCluster(ctx: CommandContext, jobId: string): Promise<JobRecord> {
  const state = await ctx.openState();
  try {
    const queue = state.clusterJobs;
    if (!queue?.isQueued(jobId))
      throw new CliError(
        `job ${jobId} was run by a daemon, not by the fleet's workers, and no herdctl daemon is running here; cancel it on the machine whose daemon runs it`,
      );
    const taken = state.transaction(() =>
      queue.cancelQueued(jobId)
        ? state.jobs.finish(jobId, {
            status: "cancelled",
            exitReason: "cancelled",
            error: "cancelled before a worker took it",
          })
        : undefined,
    );
    if (taken) return taken;
    state.jobs.requestCancel(jobId);
    const t0 = Date.now();
    for (;;) {
      const job = state.jobs.require(jobId);
      if (isTerminalStatus(job.status)) return job;
      if (Date.now() - t0 > WORKER_STOP_MS)
        throw new CliError(
          `job ${jobId} is still ${job.status} ${WORKER_STOP_MS / 1000} s after the cancel was asked for; its worker (${job.workerId ?? "none yet"}) stops it when it next looks, or the job is interrupted once that worker's lease lapses`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    state.close();
  }
}
