import type pg from "pg";
import { WORK_TABLE } from "./schema.js";

/**
 * Takes back the jobs of workers that stopped heartbeating: a running job whose lease has lapsed
 * (by the database's clock, so machines' clocks never matter) becomes `interrupted`, and one with
 * `on_interrupt: resume` is queued again as a new job that names it (`resumed_from`), for any
 * worker to claim. Every worker may run it: `for update skip locked` gives each lapsed job to
 * exactly one reaper, and a heartbeat that renews the lease at the same moment either wins the
 * row first (the job is not lapsed any more when the reaper re-reads it) or finds it interrupted.
 */
export interface Reaped {
  /** Jobs marked interrupted, with the worker that had them. */
  interrupted: Array<{ id: number; workerId: string }>;
  /** New jobs queued for those with `on_interrupt: resume`. */
  requeued: Array<{ id: number; resumedFrom: number }>;
}

/** What a job record that lost its worker says. */
export const LEASE_LAPSED_REASON =
  "the worker running this job stopped renewing its lease (it died, froze or lost the database)";

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
export async function reapLapsed(client: pg.ClientBase, withJobs?: boolean): Promise<Reaped> {
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
     select 'requeued', id::text, resumed_from::text from requeued`,
    [LEASE_LAPSED_REASON],
  );
  return {
    interrupted: rows
      .filter((r) => r.kind === "interrupted")
      .map((r) => ({ id: Number(r.id), workerId: r.ref })),
    requeued: rows
      .filter((r) => r.kind === "requeued")
      .map((r) => ({ id: Number(r.id), resumedFrom: Number(r.ref) })),
  };
}

/** The job records of the reaped rows, interrupted with them (a part of reapLapsed's statement). */
const JOBS_INTERRUPTED = `,
     jobs_interrupted as (
       update jobs set status = 'interrupted', exit_reason = 'interrupted', error = $1,
         finished_at = to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         duration_ms = case when started_at is null then null
           else (extract(epoch from clock_timestamp() - started_at::timestamptz) * 1000)::bigint end
       where id in (select payload ->> 'jobId' from interrupted where payload ? 'jobId')
         and status in ('queued', 'running', 'waiting_approval')
     )`;

/**
 * Whether the database holds herdctl's job records (a fleet's state) and not only the workers'
 * queue (a queue used on its own, as the cluster's tests and benches do).
 */
export async function hasJobsTable(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ has: boolean }>("select to_regclass('jobs') is not null as has");
  return rows[0]?.has === true;
}
