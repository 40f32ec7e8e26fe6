// The cluster's parts (issue #17), for `herdctl worker` and the daemon on Postgres.
export {
  ClusterWorker,
  type ClusterWorkerOptions,
  type JobOutcome,
  type WorkerEvent,
} from "./cluster-worker.js";
export { ensureFireKeys, fireOnce, type PlannedFire } from "./fire-keys.js";
export { LeaderLock, type LeaderLockOptions } from "./leader-lock.js";
export { type Reaped, type ReapOptions, reapLapsed } from "./reaper.js";
export { CLAIM_LOCK, ensureClusterSchema } from "./schema.js";
export {
  type ClaimedJob,
  type ClaimRequest,
  claim,
  enqueue,
  finish,
  renewLeases,
  setLimits,
  type WorkLimits,
  type WorkSpec,
} from "./work-queue.js";
export {
  checkIdentity,
  defaultWorkerId,
  deregisterWorker,
  heartbeatWorker,
  listWorkers,
  registerWorker,
  type WorkerIdentity,
  type WorkerRow,
} from "./worker-registry.js";
