import { checkIdentity } from "@herdctl/core/internal/cluster/worker-registry";
import { UsageError } from "./errors.js";
import { VERSION } from "./version.js";

/** `--id`, `--labels`, `--max-concurrent` as `herdctl worker` and `herdctl start` take them. */
export interface WorkerFlags {
  id?: string;
  labels?: string;
  maxConcurrent?: string;
  lease?: string;
}

export interface WorkerSettings {
  id?: string;
  labels: string[];
  maxConcurrent: number;
  version: string;
  timings?: { leaseMs: number };
}

/** The lease's bounds: its heartbeat (a third) must stay ≥ 1 s; past 5 min a dead worker's jobs wait too long. */
const LEASE_RANGE_S = [3, 300] as const;

/**
 * Checks the flags before anything starts; each message names the flag and what to write.
 * `minSlots` is 1 for `herdctl worker` and 0 for `herdctl start` (a daemon that runs no jobs).
 */
export function workerSettings(
  flags: WorkerFlags,
  defaults: { maxConcurrent: number; minSlots: 0 | 1 },
): WorkerSettings {
  const labels = (flags.labels ?? "")
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  let maxConcurrent = defaults.maxConcurrent;
  if (flags.maxConcurrent !== undefined) {
    const text = flags.maxConcurrent.trim();
    maxConcurrent = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < defaults.minSlots)
      throw new UsageError(
        `--max-concurrent ${JSON.stringify(flags.maxConcurrent)} is not valid: give a whole number of ${defaults.minSlots} or more${defaults.minSlots === 0 ? " (0: this daemon runs no jobs itself)" : ""}`,
      );
  }
  try {
    // The id is checked here too; the default one (hostname + hex digits) is always valid.
    checkIdentity({
      id: flags.id ?? "worker",
      labels,
      maxConcurrent: Math.max(1, maxConcurrent),
      version: VERSION,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let timings: WorkerSettings["timings"];
  if (flags.lease !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(flags.lease.trim()) ? Number(flags.lease) : Number.NaN;
    if (!(seconds >= LEASE_RANGE_S[0] && seconds <= LEASE_RANGE_S[1]))
      throw new UsageError(
        `--lease ${JSON.stringify(flags.lease)} is not valid: give seconds from ${LEASE_RANGE_S[0]} to ${LEASE_RANGE_S[1]} (default 10)`,
      );
    timings = { leaseMs: Math.round(seconds * 1000) };
  }
  return { id: flags.id, labels, maxConcurrent, version: VERSION, ...(timings ? { timings } : {}) };
}
