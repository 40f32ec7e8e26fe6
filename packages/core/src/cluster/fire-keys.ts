import type pg from "pg";

/**
 * Idempotent schedule fires: a fire is known by (agent, schedule, planned time), and its key is
 * written in the same transaction that enqueues its job. However many schedulers race for the
 * same fire (two leaders for a moment during a takeover, a restarted scheduler catching up), one
 * insert wins and the others find the key taken and enqueue nothing; a failed enqueue rolls the
 * key back with it, so the fire can still happen.
 */
export interface PlannedFire {
  agent: string;
  schedule: string;
  /** The time the schedule planned the fire for (not when it ran): the same for every racer. */
  plannedAt: Date;
}

export const FIRE_KEYS_TABLE = "herdctl_schedule_fires";

/** The table, made if missing (under FIRE_KEYS_TABLE's transaction-scoped advisory lock). */
export const FIRE_KEYS_DDL = `create table if not exists ${FIRE_KEYS_TABLE} (
  agent text not null,
  schedule text not null,
  planned_at timestamptz not null,
  fired_at timestamptz not null default now(),
  fired_by text not null,
  primary key (agent, schedule, planned_at)
)`;

/** Creates the table if missing; safe when several processes start at once. */
export async function ensureFireKeys(client: pg.ClientBase): Promise<void> {
  await client.query("begin");
  try {
    // `create table if not exists` alone can fail when two sessions create it at the same moment.
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [FIRE_KEYS_TABLE]);
    await client.query(FIRE_KEYS_DDL);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}

/**
 * Runs `enqueue` for the fire unless some process already did: true when this call fired it.
 * `enqueue` gets the client inside the transaction and must write through it, so the key and the
 * job are committed together or not at all. `client` must not be inside a transaction already.
 */
export async function fireOnce(
  client: pg.ClientBase,
  fire: PlannedFire,
  firedBy: string,
  enqueue: (tx: pg.ClientBase) => Promise<void>,
): Promise<boolean> {
  await client.query("begin");
  try {
    const inserted = await client.query(
      `insert into ${FIRE_KEYS_TABLE} (agent, schedule, planned_at, fired_by) values ($1, $2, $3, $4)
       on conflict do nothing`,
      [fire.agent, fire.schedule, fire.plannedAt, firedBy],
    );
    if (inserted.rowCount !== 1) {
      await client.query("rollback");
      return false;
    }
    await enqueue(client);
    await client.query("commit");
    return true;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}
