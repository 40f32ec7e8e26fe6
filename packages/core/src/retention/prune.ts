import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep, setImmediate as yieldToEvents } from "node:timers/promises";
import { isJobId, type RetentionLimits, type RetentionPlan, type StateManager } from "../state/index.js";
import { stateBytes } from "./size.js";

/** `state.retention` as loaded (durations in milliseconds). */
export interface RetentionConfig {
  readonly jobs?: number;
  readonly max_jobs_per_agent?: number;
  readonly output?: number;
  /** Audit entries older than this go (their own, longer limit; the job limits never touch them). */
  readonly audit?: number;
}

export interface PruneReport {
  readonly dryRun: boolean;
  /** Job records removed (or that would be), with their output. */
  readonly records: number;
  /** Jobs whose output files were removed (or would be) while their records stay. */
  readonly outputs: number;
  /** Jobs a limit named that were kept: running, queued, or holding a current session. */
  readonly protected: number;
  /** Bytes of output files removed. */
  readonly outputBytes: number;
  readonly databaseBytesBefore: number;
  readonly databaseBytesAfter: number;
  /** outputBytes plus what the database shrank by. */
  readonly freedBytes: number;
  /** Audit entries removed (or that would be) by `audit`; the chain stays verifiable from the checkpoint. */
  readonly auditEntries: number;
  /** Schedule fire keys removed (or that would be); PostgreSQL only, where several daemons plan fires. */
  readonly fireKeys?: number;
  /** Rows of members (workers, daemons, CLI runs) gone since before the same cut; PostgreSQL only. */
  readonly members?: number;
  /** Stopped before the end (the daemon was stopping): what was removed so far; the rest waits for the next prune. */
  readonly stopped: boolean;
}

/** Where a prune has got to, told after each step that changes it. */
export interface PruneProgress {
  readonly phase: "plan" | "delete" | "vacuum";
  /** Records planned for removal so far (plan), or removed so far of `planned` (delete, vacuum). */
  readonly records: number;
  readonly planned: number;
}

export interface PruneOptions {
  readonly now: Date;
  readonly dryRun?: boolean;
  readonly actor?: { via: string; who: string };
  /** Aborted: the prune stops after the step it is in, keeping what it removed. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PruneProgress) => void;
}

/**
 * With only `max_jobs_per_agent`, fire keys older than this go: far past any schedule's interval
 * plus a leader takeover, the only window in which a key stops a second fire.
 */
const FIRE_KEYS_FLOOR_MS = 30 * 86_400_000;

/** Who prunes audit entries when the caller does not say: the retention pass. */
const RETENTION_ACTOR = { via: "retention", who: "state.retention.audit" };

/**
 * At most this many records, and at most SLICE_MS of deleting, per transaction: the daemon
 * answers requests between them (2,000 records at once held it for seconds on a loaded machine).
 * The commit comes on top: with 10 ms of deleting a transaction took up to 34 ms of CPU, with 4 ms
 * up to 23 ms.
 */
const BATCH = 2000;
const SLICE_MS = 4;
/**
 * Pages given back per step of the incremental vacuum (1 MB of 4 KB pages): 1,024 a step took up
 * to 80 ms of CPU at 100,000 jobs, longer than a page of the dashboard may wait.
 */
const VACUUM_PAGES = 256;

/**
 * After each write transaction the prune leaves the write lock free for as long as it held it
 * (at least LOCK_GAP_MS): another connection's writer waiting in its busy handler sleeps 1, 2, 5,
 * 10… ms between tries, and a prune taking the lock again at once (a bare yield) kept the daemon's
 * writes waiting up to 640 ms at load 13, its event loop with them.
 */
const LOCK_GAP_MS = 10;
/** Further tries at emptying the write-ahead log when the vacuum's own checkpoint could not. */
const WAL_TRUNCATE_RETRIES = 3;

/** Runs one write transaction of the prune, then leaves the lock free for others a while. */
async function writeStep<T>(step: () => T): Promise<T> {
  const t0 = performance.now();
  const result = step();
  await sleep(Math.max(LOCK_GAP_MS, performance.now() - t0));
  return result;
}

export function retentionLimits(config: RetentionConfig, now: Date): RetentionLimits {
  return {
    recordsBefore: config.jobs === undefined ? undefined : new Date(now.getTime() - config.jobs),
    maxJobsPerAgent: config.max_jobs_per_agent,
    outputBefore: config.output === undefined ? undefined : new Date(now.getTime() - config.output),
  };
}

export function hasLimits(config: RetentionConfig | undefined): config is RetentionConfig {
  return (
    config?.jobs !== undefined ||
    config?.max_jobs_per_agent !== undefined ||
    config?.output !== undefined ||
    config?.audit !== undefined
  );
}

/**
 * Removes old job records and output files by the limits, never a job still running or queued and
 * never one whose session something will continue, then gives the space back. Work is done in
 * batches with the event loop free in between, so a daemon keeps serving while it prunes.
 */
export async function prune(
  state: StateManager,
  config: RetentionConfig,
  options: PruneOptions,
): Promise<PruneReport> {
  const limits = retentionLimits(config, options.now);
  const stopped = () => options.signal?.aborted === true;
  const plan = await planInSlices(state, limits, options);
  const before = await stateBytes(state);
  let outputBytes = 0;
  let outputs = 0;
  const removeOutput = async (id: string): Promise<boolean> => {
    let found = false;
    for (const path of outputPaths(state.jobsDir, id)) {
      const size = await pathBytes(path);
      if (size === undefined) continue;
      found = true;
      outputBytes += size;
      if (!options.dryRun) await rm(path, { recursive: true, force: true });
    }
    return found;
  };
  for (const id of plan.records) if (isJobId(id)) await removeOutput(id);
  // Ids come from the database; one that is not a job id must never become a path.
  for (const id of plan.outputOnly) if (isJobId(id) && (await removeOutput(id))) outputs++;
  let records = plan.records.length;
  let after = before;
  const auditBefore = config.audit === undefined ? undefined : new Date(options.now.getTime() - config.audit);
  // Schedule fire keys (PostgreSQL) go with the job records they stood for: `jobs`'s age, or, with
  // only a count limit, FIRE_KEYS_FLOOR_MS.
  const fireKeysBefore =
    limits.recordsBefore ??
    (limits.maxJobsPerAgent !== undefined ? new Date(options.now.getTime() - FIRE_KEYS_FLOOR_MS) : undefined);
  const fireKeys =
    fireKeysBefore && state.scheduleFires
      ? await writeStep(() => state.scheduleFires!.prune(fireKeysBefore, { dryRun: options.dryRun }))
      : undefined;
  // Members gone that long: each CLI run that ran a job itself on PostgreSQL left one.
  const members =
    fireKeysBefore && state.clusterJobs
      ? await writeStep(() => state.clusterJobs!.pruneMembers(fireKeysBefore, { dryRun: options.dryRun }))
      : undefined;
  let auditEntries = auditBefore ? state.audit.countBefore(auditBefore) : 0;
  if (!options.dryRun && auditBefore)
    auditEntries = state.audit.prune(auditBefore, options.actor ?? RETENTION_ACTOR).entries;
  if (!options.dryRun) {
    // Postgres: output other machines read from the database goes with the local files.
    await writeStep(() => state.retention.deleteStoredOutput(plan.outputOnly));
    records = 0;
    const planned = plan.records.length;
    for (let i = 0; i < planned && !stopped(); ) {
      const batch = await writeStep(() =>
        state.retention.deleteJobs(plan.records.slice(i, i + BATCH), SLICE_MS),
      );
      records += batch.removed;
      i += batch.done;
      options.onProgress?.({ phase: "delete", records, planned });
    }
    if (!stopped()) await writeStep(() => state.retention.pruneStoredTranscripts());
    // A stopped prune leaves the freed pages on SQLite's free list; the next one gives them back.
    if ((records > 0 || auditEntries > 0) && !stopped()) {
      options.onProgress?.({ phase: "vacuum", records, planned });
      while ((await writeStep(() => state.retention.vacuumSlice(VACUUM_PAGES))) && !stopped());
      let { walTruncated } = state.retention.vacuum();
      // A reader or writer of the daemon's can keep that checkpoint from emptying the log, which
      // then still holds the freed pages: try again between the daemon's own steps.
      for (let i = 0; !walTruncated && i < WAL_TRUNCATE_RETRIES && !stopped(); i++)
        walTruncated = await writeStep(() => state.retention.truncateWal());
    }
    after = await stateBytes(state);
  }
  return {
    dryRun: options.dryRun === true,
    records,
    outputs,
    protected: plan.protectedCount,
    outputBytes,
    databaseBytesBefore: before,
    databaseBytesAfter: after,
    freedBytes: outputBytes + Math.max(0, before - after),
    auditEntries,
    ...(fireKeys === undefined ? {} : { fireKeys }),
    ...(members === undefined ? {} : { members }),
    stopped: stopped(),
  };
}

/**
 * Jobs over an agent's limit planned at once, between two yields. A job created meanwhile shifts
 * the pages by one: a job at a page's edge is then seen twice (kept once in the set) or left for
 * the next prune.
 */
const PLAN_PAGE = 500;

/** The plan, with the per-agent limit taken a page of an agent at a time and the event loop free in between. */
async function planInSlices(
  state: StateManager,
  limits: RetentionLimits,
  options: Pick<PruneOptions, "signal" | "onProgress">,
): Promise<RetentionPlan> {
  const plan = state.retention.plan({ ...limits, maxJobsPerAgent: undefined });
  if (limits.maxJobsPerAgent === undefined) return plan;
  const records = new Set(plan.records);
  let protectedCount = plan.protectedCount;
  for (const agent of state.retention.agents()) {
    for (let skip = 0; ; skip += PLAN_PAGE) {
      const over = state.retention.overLimit(agent, limits.maxJobsPerAgent, { skip, limit: PLAN_PAGE });
      protectedCount += over.protectedCount;
      for (const id of over.records) records.add(id);
      options.onProgress?.({ phase: "plan", records: records.size, planned: records.size });
      await yieldToEvents();
      if (options.signal?.aborted) return { records: [], outputOnly: [], protectedCount };
      if (over.seen < PLAN_PAGE) break;
    }
  }
  return {
    records: [...records],
    outputOnly: plan.outputOnly.filter((id) => !records.has(id)),
    protectedCount,
  };
}

/** A job's output: its JSON lines, and the plain-text log folder of outputToFile schedules. */
function outputPaths(jobsDir: string, jobId: string): string[] {
  return [join(jobsDir, `${jobId}.jsonl`), join(jobsDir, jobId)];
}

/** Bytes a file or folder holds; undefined when it does not exist. */
async function pathBytes(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) return info.size;
    let total = 0;
    for (const entry of await readdir(path)) total += (await pathBytes(join(path, entry))) ?? 0;
    return total;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
