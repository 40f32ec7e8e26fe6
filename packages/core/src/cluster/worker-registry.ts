import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type pg from "pg";
import { isProcessAlive } from "../state/lock.js";
import { LOCK_KEYS, WORKERS_TABLE } from "./schema.js";

/**
 * Who is in the fleet: each `herdctl worker` (and each `herdctl start` that runs jobs) has a row
 * with its identity, labels and capacity, and keeps `heartbeat_at` fresh. The identity is what
 * `status`, the dashboard and every job's record show.
 */
export interface WorkerIdentity {
  /** `--id`, or the hostname plus a short random part (two workers on one machine differ). */
  id: string;
  /** Placement labels this worker offers: `docker`, `region=eu`. */
  labels: string[];
  /**
   * Queued jobs this worker runs at once; 0 only for a daemon (`herdctl start --max-concurrent 0`),
   * a member that claims nothing but runs its own jobs (chat turns, forks) and heartbeats for them.
   */
  maxConcurrent: number;
  /** herdctl's version, so a mixed-version fleet is visible. */
  version: string;
}

export interface WorkerRow extends WorkerIdentity {
  hostname: string;
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
  /** Heard from within `staleAfterMs` (by the database's clock) and not stopped. */
  alive: boolean;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}(=[A-Za-z0-9][A-Za-z0-9._:/-]{0,127})?$/;

/** `hostname-1a2b3c`: the machine's name, made safe for an id, and 6 random hex digits. */
export function defaultWorkerId(host = hostname()): string {
  const safe =
    host
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "")
      .slice(0, 48) || "worker";
  return `${safe}-${randomBytes(3).toString("hex")}`;
}

/**
 * Checks an identity given on the command line; the message names the argument and what to do.
 * `minSlots` is 1 for a worker (one that claims nothing is useless) and 0 for a daemon.
 */
export function checkIdentity(identity: WorkerIdentity, minSlots: 0 | 1 = 1): WorkerIdentity {
  if (!ID.test(identity.id)) {
    throw new Error(
      `--id ${JSON.stringify(identity.id)} is not a valid worker id: use 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  for (const label of identity.labels) {
    if (!LABEL.test(label)) {
      throw new Error(
        `--labels: ${JSON.stringify(label)} is not a valid label: use a name (docker) or name=value (region=eu) of letters, digits, '.', '_' or '-'`,
      );
    }
  }
  if (!Number.isInteger(identity.maxConcurrent) || identity.maxConcurrent < minSlots) {
    throw new Error(
      `--max-concurrent ${identity.maxConcurrent} is not valid: give a whole number of ${minSlots} or more`,
    );
  }
  return { ...identity, labels: [...new Set(identity.labels)].sort() };
}

/**
 * Adds this worker, or takes over the row of a worker with the same id that has stopped or gone
 * silent for `staleAfterMs` (its lease: recorded with the row, so other members' reapers judge
 * this one by it). A live worker with the same id is an error: two processes under one identity
 * would make every job record ambiguous.
 *
 * Each registration is a new life of the row: a new `lock_key` (member-lock.ts), not yet held.
 * Returns that key.
 */
export async function registerWorker(
  client: pg.ClientBase,
  identity: WorkerIdentity,
  staleAfterMs: number,
  minSlots: 0 | 1 = 1,
): Promise<number> {
  const me = checkIdentity(identity, minSlots);
  const { rows: mine } = await client.query<{ lock_key: number }>(
    `insert into ${WORKERS_TABLE} as w (id, hostname, pid, labels, max_concurrent, version, lease_ms, lock_key)
     values ($1, $2, $3, $4, $5, $6, $7, nextval('${LOCK_KEYS}'))
     on conflict (id) do update set hostname = excluded.hostname, pid = excluded.pid, labels = excluded.labels,
       max_concurrent = excluded.max_concurrent, version = excluded.version, lease_ms = excluded.lease_ms,
       started_at = clock_timestamp(), heartbeat_at = clock_timestamp(), stopped_at = null,
       lock_key = excluded.lock_key, lock_at = null, lock_lost_at = null
     where w.stopped_at is not null
       or w.heartbeat_at < clock_timestamp() - make_interval(secs => coalesce(w.lease_ms, $7::int)::float8 / 1000)
     returning w.lock_key`,
    [me.id, hostname(), process.pid, me.labels, me.maxConcurrent, me.version, Math.round(staleAfterMs)],
  );
  if (mine[0]) return mine[0].lock_key;
  const { rows } = await client.query<{ hostname: string; pid: number; ago: number }>(
    `select hostname, pid, extract(epoch from clock_timestamp() - heartbeat_at)::float8 as ago
     from ${WORKERS_TABLE} where id = $1`,
    [me.id],
  );
  const other = rows[0];
  // The previous holder ran on this machine and its process is gone (a daemon restarted after a
  // crash): the id is free now, not a lease later. Only if that row is still the one just read.
  if (other && other.hostname === hostname() && !(other.pid > 0 && isProcessAlive(other.pid))) {
    const { rows: taken } = await client.query<{ lock_key: number }>(
      `update ${WORKERS_TABLE} set pid = $3, labels = $4, max_concurrent = $5, version = $6, lease_ms = $7,
         started_at = clock_timestamp(), heartbeat_at = clock_timestamp(), stopped_at = null,
         lock_key = nextval('${LOCK_KEYS}'), lock_at = null, lock_lost_at = null
       where id = $1 and hostname = $2 and pid = $8
       returning lock_key`,
      [
        me.id,
        other.hostname,
        process.pid,
        me.labels,
        me.maxConcurrent,
        me.version,
        Math.round(staleAfterMs),
        other.pid,
      ],
    );
    if (taken[0]) return taken[0].lock_key;
  }
  throw new Error(
    `worker id ${JSON.stringify(me.id)} is in use by a running worker` +
      (other
        ? ` (host ${other.hostname}, pid ${other.pid}, last heartbeat ${other.ago.toFixed(1)} s ago)`
        : "") +
      ": stop that worker or start this one with another --id",
  );
}

/** Refreshes the worker's heartbeat; false when its row is gone or was taken over (stop working). */
export async function heartbeatWorker(client: pg.ClientBase, id: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `update ${WORKERS_TABLE} set heartbeat_at = clock_timestamp()
     where id = $1 and pid = $2 and hostname = $3 and stopped_at is null`,
    [id, process.pid, hostname()],
  );
  return rowCount === 1;
}

/** Marks the worker stopped (kept for the record: job rows name it). */
export async function deregisterWorker(client: pg.ClientBase, id: string): Promise<void> {
  await client.query(
    `update ${WORKERS_TABLE} set stopped_at = clock_timestamp() where id = $1 and pid = $2 and hostname = $3`,
    [id, process.pid, hostname()],
  );
}

export async function listWorkers(client: pg.ClientBase, staleAfterMs: number): Promise<WorkerRow[]> {
  const { rows } = await client.query(
    `select *, (stopped_at is null and heartbeat_at >= clock_timestamp() - make_interval(secs => $1::float8 / 1000)) as alive
     from ${WORKERS_TABLE} order by id`,
    [staleAfterMs],
  );
  return rows.map((r) => ({
    id: r.id,
    labels: r.labels,
    maxConcurrent: r.max_concurrent,
    version: r.version,
    hostname: r.hostname,
    pid: r.pid,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    stoppedAt: r.stopped_at,
    alive: r.alive,
  }));
}
