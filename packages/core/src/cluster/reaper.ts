import type pg from "pg";
import { WORK_TABLE, WORKERS_TABLE } from "./schema.js";

/**
 * Takes back the jobs of workers that stopped heartbeating: a running job whose lease has lapsed
 * (by the database's clock, so machines' clocks never matter) becomes `interrupted`, and one with
 * `on_interrupt: resume` is queued again as a new job that names it (`resumed_from`), for any
 * worker to claim. Every worker may run it: `for update skip locked` gives each lapsed job to
 * exactly one reaper, and a heartbeat that renews the lease at the same moment either wins the
 * row first (the job is not lapsed any more when the reaper re-reads it) or finds it interrupted.
 * The jobs a daemon runs itself, outside the queue, have no lease: their records name the daemon
 * (`worker_id`), and the reaper interrupts them once that daemon's row goes stale or stopped.
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

/** The lease a member row that predates `lease_ms` is judged by. */
const DEFAULT_STALE_MS = 10_000;

/**
 * A queue row the daemon queued for a state job names it (`payload.jobId`): that job record is
 * interrupted in the same statement, and its resumed row names the job to continue
 * (`payload.resumeOf`); the worker that claims it records the new job (cluster-member.ts).
 *
 * One statement, so no lock is held across a round trip: the process that reaps also writes job
 * records synchronously (state/pg/sync-client.ts blocks its event loop for each statement), and a
 * transaction of its own that waited on that event loop between statements while holding a job
 * row would deadlock it until the statement timeout.
 */
export async function reapLapsed(
  client: pg.ClientBase,
  withJobs?: boolean,
  staleAfterMs = DEFAULT_STALE_MS,
): Promise<Reaped> {
  const jobs = withJobs ?? (await hasJobsTable(client));
  const { rows } = await client.query<{ kind: string; id: string; ref: string }>(
    `with lapsed as (
       select id from ${WORK_TABLE}
       where status = 'running' and lease_until < clock_timestamp()
       for update skip locked
     ),
     interrupted as (
       update ${WORK_TABLE} w set status = 'interrupted', finished_at = clock_timestamp(), lease_until = null,
         error = $1
       from lapsed where w.id = lapsed.id
       returning w.id, w.worker_id, w.agent, w.required_labels, w.payload, w.on_interrupt
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
    jobs ? [LEASE_LAPSED_REASON, MEMBER_LAPSED_REASON, Math.round(staleAfterMs)] : [LEASE_LAPSED_REASON],
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
 * The unfinished job records of members that stopped heartbeating for their own lease (by the
 * database's clock) or stopped, that no queue row covers: a queued or running row is the queue's
 * and the lease's business (and the snapshot still shows a row lapsed in this same statement as
 * running, so its record is left to jobs_interrupted). `skip locked` as above: two reapers never
 * wait on each other's rows. A member stops its row only after its jobs ended (graceful stop),
 * so a stopped member's unfinished job is one it could not end.
 */
const ORPHANS = `orphans as (
       select j.id from jobs j join ${WORKERS_TABLE} m on m.id = j.worker_id
       where j.status in ('queued', 'running', 'waiting_approval')
         and (m.stopped_at is not null or m.heartbeat_at <
           clock_timestamp() - make_interval(secs => coalesce(m.lease_ms, $3::int)::float8 / 1000))
         and not exists (select 1 from ${WORK_TABLE} q
           where q.payload ->> 'jobId' = j.id and q.status in ('queued', 'running'))
       order by j.id
       for update of j skip locked
     ),
     orphans_interrupted as (
       update jobs j set status = 'interrupted', exit_reason = 'interrupted', error = $2,
         finished_at = to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         duration_ms = case when j.started_at is null then null
           else (extract(epoch from clock_timestamp() - j.started_at::timestamptz) * 1000)::bigint end
       from orphans where j.id = orphans.id
       returning j.id, j.worker_id
     )`;

/** The job records of the reaped rows, interrupted with them (a part of reapLapsed's statement). */
const JOBS_INTERRUPTED = `,
     jobs_interrupted as (
       update jobs set status = 'interrupted', exit_reason = 'interrupted', error = $1,
         finished_at = to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         duration_ms = case when started_at is null then null
           else (extract(epoch from clock_timestamp() - started_at::timestamptz) * 1000)::bigint end
       where id in (select payload ->> 'jobId' from interrupted where payload ? 'jobId')
         and status in ('queued', 'running', 'waiting_approval')
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
