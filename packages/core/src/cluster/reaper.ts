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

export async function reapLapsed(client: pg.ClientBase): Promise<Reaped> {
  const { rows } = await client.query<{ kind: string; id: string; ref: string }>(
    `with lapsed as (
       select id from ${WORK_TABLE}
       where status = 'running' and lease_until < clock_timestamp()
       for update skip locked
     ),
     interrupted as (
       update ${WORK_TABLE} w set status = 'interrupted', finished_at = clock_timestamp(), lease_until = null,
         error = 'the worker stopped renewing its lease (it died, froze or lost the database)'
       from lapsed where w.id = lapsed.id
       returning w.id, w.worker_id, w.agent, w.required_labels, w.payload, w.on_interrupt
     ),
     requeued as (
       insert into ${WORK_TABLE} (agent, required_labels, payload, on_interrupt, resumed_from)
       select agent, required_labels, payload, on_interrupt, id from interrupted where on_interrupt = 'resume'
       order by id
       returning id, resumed_from
     )
     select 'interrupted' as kind, id::text, worker_id as ref from interrupted
     union all
     select 'requeued', id::text, resumed_from::text from requeued`,
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
