import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";

/** A credential's usage limit as stored: scheduled work using it waits until `until`. */
export interface UsagePause {
  /** A hash naming the credential, never the credential itself. */
  readonly credential: string;
  /** How people see it: its kind and hash prefix, e.g. "API key 3f2a9c01". */
  readonly label: string;
  readonly pausedAt: string;
  readonly until: string;
  /** Where the reset time came from (see usage-limits/detect.ts), or "unknown" for the fallback. */
  readonly source: string;
  /** What claude said, bounded and on one line. */
  readonly message: string;
  /** The job that met the limit. */
  readonly jobId: string | null;
  /** The one job let through after the reset to see whether the limit lifted. */
  readonly probeJobId: string | null;
}

interface Row {
  credential: string;
  label: string;
  paused_at: string;
  until: string;
  source: string;
  message: string;
  job_id: string | null;
  probe_job_id: string | null;
}

const toPause = (r: Row): UsagePause => ({
  credential: r.credential,
  label: r.label,
  pausedAt: r.paused_at,
  until: r.until,
  source: r.source,
  message: r.message,
  jobId: r.job_id,
  probeJobId: r.probe_job_id,
});

export class UsagePauseRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
  ) {}

  list(): UsagePause[] {
    return (this.db.prepare("SELECT * FROM usage_pauses ORDER BY until").all() as Row[]).map(toPause);
  }

  get(credential: string): UsagePause | undefined {
    const row = this.db.prepare("SELECT * FROM usage_pauses WHERE credential = ?").get(credential) as
      | Row
      | undefined;
    return row && toPause(row);
  }

  /** Starts or extends a credential's pause; a new pause has no probe. */
  put(pause: Omit<UsagePause, "probeJobId">): void {
    this.write(() =>
      this.db
        .prepare(
          `INSERT INTO usage_pauses (credential, label, paused_at, until, source, message, job_id, probe_job_id)
           VALUES (@credential, @label, @pausedAt, @until, @source, @message, @jobId, NULL)
           ON CONFLICT (credential) DO UPDATE SET label = excluded.label, until = excluded.until,
             source = excluded.source, message = excluded.message, job_id = excluded.job_id,
             probe_job_id = NULL`,
        )
        .run(pause),
    );
  }

  setProbe(credential: string, jobId: string | null): void {
    this.write(() =>
      this.db.prepare("UPDATE usage_pauses SET probe_job_id = ? WHERE credential = ?").run(jobId, credential),
    );
  }

  remove(credential: string): boolean {
    return this.write(
      () => this.db.prepare("DELETE FROM usage_pauses WHERE credential = ?").run(credential).changes > 0,
    );
  }

  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }
}
