import { FIRE_KEYS_DDL, FIRE_KEYS_TABLE, type PlannedFire } from "../cluster/fire-keys.js";
import type { Db } from "./db-interface.js";
import { translateStorageError } from "./errors.js";

/**
 * Schedule fire keys through the state's own connection (PostgreSQL only): the daemon's
 * scheduler claims a fire's key in the same transaction that enqueues its job, so however many
 * daemons plan the same fire, one job is recorded for it (cluster/fire-keys.ts has the async
 * form and the reasoning). SQLite needs none: one daemon holds the state directory's lock.
 */
export class ScheduleFireRepository {
  constructor(
    private readonly db: Db,
    private readonly where: string,
  ) {}

  /** Makes the table if missing; several daemons may start at once. */
  ensureTable(): void {
    this.run(() =>
      this.db.transaction(() => {
        this.db.prepare("SELECT pg_advisory_xact_lock(hashtext(?))").get(FIRE_KEYS_TABLE);
        this.db.exec(FIRE_KEYS_DDL);
      })(),
    );
  }

  /**
   * Writes the fire's key; false when some process already has. Call inside the transaction that
   * enqueues the fire's job: a racer's insert waits for it, and its rollback frees the key again.
   */
  claim(fire: PlannedFire, firedBy: string): boolean {
    return this.run(
      () =>
        this.db
          .prepare(
            `INSERT INTO ${FIRE_KEYS_TABLE} (agent, schedule, planned_at, fired_by) VALUES (?, ?, ?, ?)
             ON CONFLICT DO NOTHING`,
          )
          .run(fire.agent, fire.schedule, fire.plannedAt.toISOString(), firedBy).changes === 1,
    );
  }

  /**
   * The keys of fires planned before `before` (all of them on a dry run: counted, not removed).
   * A key only has to outlive the chance of a second scheduler planning the same fire, which is
   * the fire's own interval plus a takeover: the job history's retention is far longer.
   */
  prune(before: Date, options: { dryRun?: boolean } = {}): number {
    return this.run(() => {
      // The table is made by the first daemon on the database; a prune may come before any.
      if (!this.db.prepare("SELECT to_regclass(?) AS t").pluck().get(FIRE_KEYS_TABLE)) return 0;
      const where = `FROM ${FIRE_KEYS_TABLE} WHERE planned_at < ?`;
      if (options.dryRun)
        return Number(this.db.prepare(`SELECT count(*) ${where}`).pluck().get(before.toISOString()));
      return this.db.prepare(`DELETE ${where}`).run(before.toISOString()).changes;
    });
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateStorageError(error, this.where);
    }
  }
}
