import type pg from "pg";

/**
 * The tables the workers share: who is there (`herdctl_workers`), the work (`herdctl_work`) and
 * the fleet's limits (`herdctl_work_limits`). They live in the cluster's own idempotent step, like
 * the schedule fire keys, not in the state's versioned migrations: only a fleet on Postgres with
 * workers has them, and SQLite's schema stays the same as Postgres's for the state contract.
 */
export const WORKERS_TABLE = "herdctl_workers";
export const WORK_TABLE = "herdctl_work";
export const LIMITS_TABLE = "herdctl_work_limits";
/** NOTIFY channel: a job was queued (payload empty; workers claim from the table). */
export const WORK_CHANNEL = "herdctl_work";

/** Creates the tables if missing; safe when several processes start at once. */
export async function ensureClusterSchema(client: pg.ClientBase): Promise<void> {
  await client.query("begin");
  try {
    // `create … if not exists` alone can fail when two sessions create the same thing at once.
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [WORK_TABLE]);
    await client.query(`
      create table if not exists ${WORKERS_TABLE} (
        id text primary key,
        hostname text not null,
        pid int not null,
        labels text[] not null default '{}',
        max_concurrent int not null check (max_concurrent > 0),
        version text not null,
        started_at timestamptz not null default clock_timestamp(),
        heartbeat_at timestamptz not null default clock_timestamp(),
        stopped_at timestamptz
      );
      create table if not exists ${WORK_TABLE} (
        id bigserial primary key,
        agent text not null,
        required_labels text[] not null default '{}',
        payload jsonb not null default '{}',
        on_interrupt text not null default 'none' check (on_interrupt in ('none', 'resume')),
        status text not null default 'queued'
          check (status in ('queued', 'running', 'completed', 'failed', 'interrupted', 'cancelled')),
        worker_id text,
        lease_until timestamptz,
        enqueued_at timestamptz not null default clock_timestamp(),
        claimed_at timestamptz,
        finished_at timestamptz,
        error text,
        resumed_from bigint references ${WORK_TABLE} (id)
      );
      create index if not exists ${WORK_TABLE}_queued on ${WORK_TABLE} (id) where status = 'queued';
      create index if not exists ${WORK_TABLE}_running on ${WORK_TABLE} (agent, worker_id) where status = 'running';
      create table if not exists ${LIMITS_TABLE} (
        scope text primary key,
        max_running int not null check (max_running > 0)
      );
      create or replace function ${WORK_TABLE}_notify() returns trigger language plpgsql as
        $$ begin perform pg_notify('${WORK_CHANNEL}', ''); return null; end $$;
      create or replace trigger ${WORK_TABLE}_notify after insert on ${WORK_TABLE}
        for each statement execute function ${WORK_TABLE}_notify();
    `);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}
