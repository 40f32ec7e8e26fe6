import type pg from "pg";
import { MEMBER_LOCK_SPACE, WORK_TABLE, WORKERS_TABLE } from "./schema.js";

/**
 * Takes back the jobs of workers that stopped heartbeating: a running job whose lease has lapsed
 * (by the database's clock, so machines' clocks never matter) becomes `interrupted`, and one with
 * `on_interrupt: resume` is queued again as a new job that names it (`resumed_from`), for any
 * worker to claim. Every worker may run it: `for update skip locked` gives each lapsed job to
 * exactly one reaper, and a heartbeat that renews the lease at the same moment either wins the
 * row first (the job is not lapsed any more when the reaper re-reads it) or finds it interrupted.
 * The jobs a daemon runs itself, outside the queue, have no lease: their records name the daemon
 * (`worker_id`), and the reaper interrupts them once that daemon's row goes stale or stopped, or
 * its session lock is gone (the process died: member-lock.ts).
 */
export interface Reaped {
  /** Jobs marked interrupted, with the worker that had them. */
  interrupted: Array<{ id: number; workerId: string }>;
  /** New jobs queued for those with `on_interrupt: resume`. */
  requeued: Array<{ id: number; resumedFrom: number }>;
  /**
   * Job records a daemon ran itself, outside the queue (chat turns, forks, lanes, trigger
   * overrides), interrupted because that daemon stopped heartbeating: they have no lease.
   */
  orphans: Array<{ jobId: string; workerId: string }>;
}

/** What a job record that lost its worker says. */
export const LEASE_LAPSED_REASON =
  "the worker running this job stopped renewing its lease (it died, froze or lost the database)";

/** What the record of a job a daemon ran itself says when that daemon went silent. */
export const MEMBER_LAPSED_REASON =
  "the herdctl daemon running this job stopped heartbeating (it died, froze or lost the database)";

/**
 * What a job record says when the session of the process running it ended and did not come back
 * within the grace: its process died (or its machine, or its connection to the database).
 */
export const MEMBER_GONE_REASON =
  "the herdctl process running this job lost its database session (it died, or its machine or network went away)";

/** The lease a member row that predates `lease_ms` is judged by. */
const DEFAULT_STALE_MS = 10_000;

/**
 * How long a member's session lock may be seen missing before its jobs are taken: a member whose
 * connection broke takes the lock again on a new one at once (member-lock.ts), well within it.
 */
export const LOCK_GRACE_MS = 1_500;

export interface ReapOptions {
  /** The lease of a member row that records none (rows from before `lease_ms`). */
  staleAfterMs?: number;
  /** LOCK_GRACE_MS by default. */
  lockGraceMs?: number;
}

/**
 * A queue row the daemon queued for a state job names it (`payload.jobId`): that job record is
 * interrupted in the same statement, and its resumed row names the job to continue
 * (`payload.resumeOf`); the worker that claims it records the new job (cluster-member.ts).
 *
 * A member is dead when its lease lapsed, or when its session lock (member-lock.ts) has been seen
 * missing for longer than the grace: the statement records when it first saw the lock missing
 * (`lock_lost_at`) and clears that when the lock is back. Only a lock taken in the server's
 * current life is judged: after a restart of PostgreSQL no lock is held until members reconnect.
 *
 * One statement, so no lock is held across a round trip: the process that reaps also writes job
 * records synchronously (state/pg/sync-client.ts blocks its event loop for each statement), and a
 * transaction of its own that waited on that event loop between statements while holding a job
 * row would deadlock it until the statement timeout.
 */
export async function reapLapsed(
  client: pg.ClientBase,
  withJobs?: boolean,
  options: ReapOptions = {},
): Promise<Reaped> {
  const jobs = withJobs ?? (await hasJobsTable(client));
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_MS;
  const graceMs = options.lockGraceMs ?? LOCK_GRACE_MS;
  const { rows } = await client.query<{ kind: string; id: string; ref: string }>(
    `with ${MEMBERS_GONE},
     lapsed as (
       select id, lease_until >= clock_timestamp() as gone from ${WORK_TABLE}
       where status = 'running'
         and (lease_until < clock_timestamp() or worker_id in (select id from gone))
       for update skip locked
     ),
     interrupted as (
       update ${WORK_TABLE} w set status = 'interrupted', finished_at = clock_timestamp(), lease_until = null,
         error = case when lapsed.gone then $2 else $1 end
       from lapsed where w.id = lapsed.id
       returning w.id, w.worker_id, w.agent, w.required_labels, w.payload, w.on_interrupt, w.error
     ),
     requeued as (
       insert into ${WORK_TABLE} (agent, required_labels, payload, on_interrupt, resumed_from)
       select agent, required_labels,
         case when payload ? 'jobId' then jsonb_build_object('resumeOf', payload ->> 'jobId') else payload end,
         on_interrupt, id
       from interrupted where on_interrupt = 'resume'
       order by id
       returning id, resumed_from
     )${jobs ? JOBS_INTERRUPTED : ""}
     select 'interrupted' as kind, id::text, worker_id as ref from interrupted
     union all
     select 'requeued', id::text, resumed_from::text from requeued${
       jobs ? "\n     union all\n     select 'orphan', id, worker_id from orphans_interrupted" : ""
     }`,
    [
      LEASE_LAPSED_REASON,
      MEMBER_GONE_REASON,
      Math.round(graceMs),
      MEMBER_LOCK_SPACE,
      ...(jobs ? [MEMBER_LAPSED_REASON, Math.round(staleAfterMs)] : []),
    ],
  );
  return {
    orphans: rows.filter((r) => r.kind === "orphan").map((r) => ({ jobId: r.id, workerId: r.ref })),
    interrupted: rows
      .filter((r) => r.kind === "interrupted")
      .map((r) => ({ id: Number(r.id), workerId: r.ref })),
    requeued: rows
      .filter((r) => r.kind === "requeued")
      .map((r) => ({ id: Number(r.id), resumedFrom: Number(r.ref) })),
  };
}

/**
 * Members whose session lock is gone ($3 the grace in ms, $4 the lock space). `judged`: the live
 * rows whose lock was taken in this server's life, with whether it is held now (pg_locks of this
 * database); `lock_marked` records the moment it is first seen missing and clears it once it is
 * held again (a write only when that changes: no row is locked at each pass); `gone`: missing
 * since longer than the grace. A row another statement holds (a heartbeat, another reaper) is
 * skipped, marked at a later pass: this statement also holds lapsed queue rows a heartbeat may be
 * waiting on, so waiting here for that heartbeat's member row deadlocked (seen with three workers).
 */
const MEMBERS_GONE = `held as (
       select l.objid::bigint as key from pg_locks l
       where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and l.classid = $4::int::oid
         and l.database = (select oid from pg_database where datname = current_database())
     ),
     judged as (
       select m.id, m.lock_lost_at, exists (select 1 from held where held.key = m.lock_key) as held
       from ${WORKERS_TABLE} m
       where m.stopped_at is null and m.lock_key is not null and m.lock_at >= pg_postmaster_start_time()
     ),
     to_mark as (
       select m.id from ${WORKERS_TABLE} m join judged j on j.id = m.id
       where j.held = (j.lock_lost_at is not null)
       for update of m skip locked
     ),
     lock_marked as (
       update ${WORKERS_TABLE} m set lock_lost_at = case when j.held then null else clock_timestamp() end
       from judged j where m.id = j.id and m.id in (select id from to_mark)
     ),
     gone as (
       select id from judged
       where not held and lock_lost_at < clock_timestamp() - make_interval(secs => $3::float8 / 1000)
     )`;

/**
 * The unfinished job records of members that stopped heartbeating for their own lease (by the
 * database's clock), stopped, or are gone (their session lock), that no queue row covers: a
 * queued or running row is the queue's business (and the snapshot still shows a row lapsed in
 * this same statement as running, so its record is left to jobs_interrupted). `skip locked` as
 * above: two reapers never wait on each other's rows. A member stops its row only after its jobs
 * ended (graceful stop), so a stopped member's unfinished job is one it could not end.
 */
const ORPHANS = `orphans as (
       select j.id, case when m.id in (select id from gone) then $2 else $5 end as reason
       from jobs j join ${WORKERS_TABLE} m on m.id = j.worker_id
       where j.status in ('queued', 'running', 'waiting_approval')
         and (m.stopped_at is not null or m.id in (select id from gone) or m.heartbeat_at <
           clock_timestamp() - make_interval(secs => coalesce(m.lease_ms, $6::int)::float8 / 1000))
         and not exists (select 1 from ${WORK_TABLE} q
           where q.payload ->> 'jobId' = j.id and q.status in ('queued', 'running'))
       order by j.id
       for update of j skip locked
     ),
     orphans_interrupted as (
       update jobs j set status = 'interrupted', exit_reason = 'interrupted', error = orphans.reason,
         finished_at = to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         duration_ms = case when j.started_at is null then null
           else (extract(epoch from clock_timestamp() - j.started_at::timestamptz) * 1000)::bigint end
       from orphans where j.id = orphans.id
       returning j.id, j.worker_id
     )`;

/** The job records of the reaped rows, interrupted with them (a part of reapLapsed's statement). */
const JOBS_INTERRUPTED = `,
     jobs_interrupted as (
       update jobs j set status = 'interrupted', exit_reason = 'interrupted', error = i.error,
         finished_at = to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         duration_ms = case when j.started_at is null then null
           else (extract(epoch from clock_timestamp() - j.started_at::timestamptz) * 1000)::bigint end
       from interrupted i
       where i.payload ? 'jobId' and j.id = i.payload ->> 'jobId'
         and j.status in ('queued', 'running', 'waiting_approval')
     ),
     ${ORPHANS}`;

/**
 * Whether the database holds herdctl's job records (a fleet's state) and not only the workers'
 * queue (a queue used on its own, as the cluster's tests and benches do).
 */
export async function hasJobsTable(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ has: boolean }>("select to_regclass('jobs') is not null as has");
  return rows[0]?.has === true;
}
