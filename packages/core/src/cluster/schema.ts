import type pg from "pg";
import { ensureCentralTables } from "./central-schema.js";
import { LOCK_SPACE, lockKey } from "./leader-lock.js";

/**
 * The tables the workers share: who is there (`herdctl_workers`), the work (`herdctl_work`) and
 * the fleet's limits (`herdctl_work_limits`). They live in the cluster's own idempotent step, like
 * the schedule fire keys, not in the state's versioned migrations: only a fleet on Postgres with
 * workers has them, and SQLite's schema stays the same as Postgres's for the state contract.
 */
export const WORKERS_TABLE = "herdctl_workers";
export const WORK_TABLE = "herdctl_work";
export const LIMITS_TABLE = "herdctl_work_limits";
/** The sequence each member life's session lock key comes from (member-lock.ts). */
export const LOCK_KEYS = `${WORKERS_TABLE}_lock_key`;
/** NOTIFY channel: a job was queued (payload empty; workers claim from the table). */
export const WORK_CHANNEL = "herdctl_work";
/**
 * NOTIFY channel: a job record's status changed, or a cancel of it was asked (payload: the job id
 * only; every session of the database may read a notification, so never output or secrets).
 */
export const JOB_CHANNEL = "herdctl_job";

/**
 * The advisory lock (two int4 keys) every claim holds while it counts and takes (work-queue.ts
 * says why). Exported for whatever must hold claims off for a moment (changing limits, tests).
 */
export const CLAIM_LOCK: readonly [number, number] = [LOCK_SPACE, lockKey("work-claim")];

/** The advisory locks' first key for members ("herm"), apart from the leader's and claim's space (member-lock.ts). */
export const MEMBER_LOCK_SPACE = 0x6865726d;

/**
 * Takes the lock and records when; $1 id, $2 lock key, $3 pid, $4 host, $5 the lock space. One
 * statement, run on a fresh session only (a second run would stack the lock, harmlessly).
 */
export const ACQUIRE_MEMBER_LOCK = `with got as (select pg_try_advisory_lock($5::int, $2::int) as ok)
  update ${WORKERS_TABLE} set lock_at = clock_timestamp(), lock_lost_at = null
  from got where got.ok and id = $1 and lock_key = $2 and pid = $3 and hostname = $4 and stopped_at is null`;

/** The cluster's tables and functions; every statement is idempotent. */
const CLUSTER_TABLES_DDL = `
      create table if not exists ${WORKERS_TABLE} (
        id text primary key,
        hostname text not null,
        pid int not null,
        labels text[] not null default '{}',
        max_concurrent int not null check (max_concurrent >= 0),
        version text not null,
        started_at timestamptz not null default clock_timestamp(),
        heartbeat_at timestamptz not null default clock_timestamp(),
        stopped_at timestamptz,
        lease_ms int,
        lock_key int,
        lock_at timestamptz,
        lock_lost_at timestamptz
      );
      -- Each life of a member gets a lock key of its own (member-lock.ts), never reused while the
      -- sequence has not gone round its 2^31 values.
      create sequence if not exists ${LOCK_KEYS} as int cycle;
      -- Tables made before a daemon could be a member with no slots (it runs only its own jobs),
      -- and before each member recorded its lease (the reaper judges a silent member by its own
      -- lease, not the reaper's). Checked first, so a current table is not locked at every start.
      do $$ begin
        if exists (select 1 from pg_constraint where conname = '${WORKERS_TABLE}_max_concurrent_check'
                   and conrelid = '${WORKERS_TABLE}'::regclass and pg_get_constraintdef(oid) like '%> 0%') then
          alter table ${WORKERS_TABLE} drop constraint ${WORKERS_TABLE}_max_concurrent_check,
            add constraint ${WORKERS_TABLE}_max_concurrent_check check (max_concurrent >= 0);
        end if;
        if not exists (select 1 from information_schema.columns
                       where table_name = '${WORKERS_TABLE}' and column_name = 'lease_ms'
                         and table_schema = current_schema()) then
          alter table ${WORKERS_TABLE} add column lease_ms int;
        end if;
        -- And before members held a session lock (member-lock.ts): the reaper then knows a killed
        -- member at once instead of after its lease.
        if not exists (select 1 from information_schema.columns
                       where table_name = '${WORKERS_TABLE}' and column_name = 'lock_key'
                         and table_schema = current_schema()) then
          alter table ${WORKERS_TABLE} add column lock_key int, add column lock_at timestamptz,
            add column lock_lost_at timestamptz;
        end if;
      end $$;
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
      -- A row queued for a state job (the daemon's enqueue) names it; cancel finds it by that.
      create index if not exists ${WORK_TABLE}_job on ${WORK_TABLE} ((payload ->> 'jobId'));
      create table if not exists ${LIMITS_TABLE} (
        scope text primary key,
        max_running int not null check (max_running > 0)
      );
      -- The claim (work-queue.ts): a function so that the lock, the count and the take run on the
      -- server in one call. It must stay volatile: each statement in it then reads a new snapshot,
      -- so the claim after the lock sees every claim committed before it.
      create or replace function ${WORK_TABLE}_claim(
        p_worker text, p_labels text[], p_free int, p_max int, p_lease_ms float8
      ) returns setof ${WORK_TABLE} language plpgsql volatile as $$
      begin
        perform pg_advisory_xact_lock(${CLAIM_LOCK[0]}, ${CLAIM_LOCK[1]});
        return query
        with running as (
          select agent, worker_id from ${WORK_TABLE} where status = 'running'
        ),
        room as (
          select greatest(0, least(
            p_free,
            p_max - (select count(*) from running where worker_id = p_worker),
            coalesce((select max_running from ${LIMITS_TABLE} where scope = 'fleet'), 2147483647)
              - (select count(*) from running)
          )) as n
        ),
        agent_room as (
          select l.scope, l.max_running - (select count(*) from running r where 'agent:' || r.agent = l.scope) as free
          from ${LIMITS_TABLE} l where l.scope like 'agent:%'
        ),
        candidates as (
          select q.id, q.agent, row_number() over (partition by q.agent order by q.id) as rn
          from ${WORK_TABLE} q
          where q.status = 'queued' and q.required_labels <@ p_labels
        ),
        picked as (
          select c.id from candidates c left join agent_room a on a.scope = 'agent:' || c.agent
          where a.free is null or c.rn <= a.free
          order by c.id
          limit (select n from room)
        ),
        locked as (
          select w.id from ${WORK_TABLE} w where w.id in (select id from picked) and w.status = 'queued'
          order by w.id
          for update skip locked
        )
        update ${WORK_TABLE} w set status = 'running', worker_id = p_worker, claimed_at = clock_timestamp(),
          lease_until = clock_timestamp() + make_interval(secs => p_lease_ms / 1000)
        from locked where w.id = locked.id
        returning w.*;
      end $$;
      create or replace function ${WORK_TABLE}_notify() returns trigger language plpgsql as
        $$ begin perform pg_notify('${WORK_CHANNEL}', ''); return null; end $$;
      create or replace trigger ${WORK_TABLE}_notify after insert on ${WORK_TABLE}
        for each statement execute function ${WORK_TABLE}_notify();
      -- A job's status change (its start, its end) and a cancel asked of it, told on ${JOB_CHANNEL}
      -- to the daemon that follows the job and the worker that runs it (cluster/job-notices.ts).
      -- A trigger rather than a pg_notify beside each write: the worker's end, the reaper's one
      -- statement, a cancel and whatever writes a job record later are all heard, and none can
      -- forget it. Here rather than in the state's versioned migrations: only a fleet on
      -- PostgreSQL needs it, and the state schema stays the same as SQLite's. The job records may
      -- not exist yet (a queue used on its own); the state's ensureTables runs this again after
      -- its migrations. Created once, not replaced at each start: that would lock the jobs table.
      create or replace function ${JOB_CHANNEL}_notify() returns trigger language plpgsql as
        $$ begin perform pg_notify('${JOB_CHANNEL}', new.id); return null; end $$;
      do $$ begin
        if to_regclass('jobs') is not null then
          if not exists (select 1 from pg_trigger where tgname = '${JOB_CHANNEL}_notify'
                           and tgrelid = to_regclass('jobs')) then
            create trigger ${JOB_CHANNEL}_notify after update of status, cancel_requested on jobs
              for each row
              when (old.status is distinct from new.status
                    or (new.cancel_requested = 1 and old.cancel_requested = 0))
              execute function ${JOB_CHANNEL}_notify();
          end if;
        end if;
      end $$;
`;

/**
 * What CLUSTER_DDL leaves as the work table's comment: a hash of the DDL, so a start that finds it
 * (and, where the state's job records exist, their trigger) runs no DDL at all. `create index … if
 * not exists` and `create or replace trigger` lock the work table (share, share row exclusive)
 * even when there is nothing to create, so each worker start and each daemon's state setup waited
 * for every statement writing the queue, and stopped every claim and lease renewal while it did;
 * CI saw a reaper chosen as a deadlock's victim while workers were starting. A changed DDL has
 * another hash, and runs once.
 */
export const CLUSTER_SCHEMA_STAMP = `herdctl cluster schema ${fnv1a(CLUSTER_TABLES_DDL)}`;

/** The cluster's tables and functions, then the stamp; every statement is idempotent. */
export const CLUSTER_DDL = `${CLUSTER_TABLES_DDL}
      comment on table ${WORK_TABLE} is '${CLUSTER_SCHEMA_STAMP}';
`;

/**
 * One row, `current`: 1 when CLUSTER_DDL has nothing to do, else 0 (a number, as both the async
 * client and the state's synchronous one read it). Takes no lock on the tables.
 */
export const CLUSTER_SCHEMA_CURRENT = `select (coalesce(obj_description(to_regclass('${WORK_TABLE}'), 'pg_class')
    = '${CLUSTER_SCHEMA_STAMP}', false)
  and (to_regclass('jobs') is null or exists (select 1 from pg_trigger
    where tgname = '${JOB_CHANNEL}_notify' and tgrelid = to_regclass('jobs'))))::int as current`;

/** 32-bit FNV-1a of a string's UTF-16 code units, in hex: a change detector, not a secret. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** Creates the tables if missing; safe when several processes start at once. */
export async function ensureClusterSchema(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ current: number }>(CLUSTER_SCHEMA_CURRENT);
  if (rows[0]?.current !== 1) await runClusterDdl(client);
  // Central job output and session transcripts (central-schema.ts): a worker writes both.
  await ensureCentralTables(client);
}

async function runClusterDdl(client: pg.ClientBase): Promise<void> {
  await client.query("begin");
  try {
    // `create … if not exists` alone can fail when two sessions create the same thing at once.
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [WORK_TABLE]);
    await client.query(CLUSTER_DDL);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}
