import { hostname } from "node:os";
import type pg from "pg";
import { LOCK_GRACE_MS, type Reaped, reapLapsed } from "../cluster/reaper.js";
import {
  ACQUIRE_MEMBER_LOCK,
  CLUSTER_DDL,
  CLUSTER_SCHEMA_CURRENT,
  LIMITS_TABLE,
  LOCK_KEYS,
  MEMBER_LOCK_SPACE,
  WORK_TABLE,
  WORKERS_TABLE,
} from "../cluster/schema.js";
import type { WorkLimits } from "../cluster/work-queue.js";
import type { Db } from "./db-interface.js";
import { translateStorageError } from "./errors.js";
import type { SyncPgClient } from "./pg/sync-client.js";

/** A worker as `herdctl status` lists it. */
export interface ClusterWorkerStatus {
  id: string;
  hostname: string;
  labels: string[];
  maxConcurrent: number;
  version: string;
  /**
   * Jobs it runs now: its running queue rows, and the jobs it runs itself outside the queue (a
   * daemon's chat turns and forks, a CLI's in-process trigger), whose records name it. A queue
   * job's record names its worker too: counted once, as a queue row.
   */
  running: number;
  heartbeatAt: string;
  /** Heard from within a lease, not stopped, and its session lock not gone (cluster/member-lock.ts). */
  alive: boolean;
}

/** What a job's queue row needs besides the job record (the worker reads that). */
export interface QueuedJobWork {
  jobId: string;
  agent: string;
  requiredLabels: readonly string[];
  onInterrupt: "none" | "resume";
  /** How the job's session is chosen; the only part of the run a row may say (docs/security.md). */
  session:
    | { mode: "continue"; maxContextTokens?: number }
    | { mode: "fresh"; notice?: string }
    | { mode: "resume"; sessionId: string };
}

/** Workers older than this without a heartbeat are shown as gone (the workers' default lease). */
const ALIVE_MS = 10_000;
/** How long `status` still lists a member that went silent without stopping (killed, machine gone). */
const SILENT_SHOWN_MS = 24 * 3_600_000;

/**
 * The queue seen through the state's own connection (PostgreSQL only): a job triggered on the
 * fleet is recorded `queued` and its queue row written in the same transaction, so a job is never
 * queued without its record nor recorded without its row. The claim, the leases and the reaper
 * are the workers' (cluster/), on connections of their own.
 */
export class ClusterJobRepository {
  constructor(
    private readonly db: Db,
    private readonly where: string,
    /**
     * The state's connection, to hold an in-process member's session lock on (sync-client.ts) and
     * to run its reaper pass.
     */
    private readonly session?: Pick<SyncPgClient, "everyConnect" | "queryTranslated">,
  ) {}

  /** Makes the cluster's tables if missing; several processes may start at once. */
  ensureTables(): void {
    // Without a lock on the queue when there is nothing to do (schema.ts: CLUSTER_SCHEMA_STAMP).
    const found = this.run(() => this.db.prepare(CLUSTER_SCHEMA_CURRENT).get() as { current: number });
    if (found.current === 1) return;
    this.run(() =>
      this.db.transaction(() => {
        this.db.prepare("SELECT pg_advisory_xact_lock(hashtext(?))").get(WORK_TABLE);
        this.db.exec(CLUSTER_DDL);
      })(),
    );
  }

  /** Writes the job's queue row (and so wakes the workers); call in the job's creating transaction. */
  enqueue(work: QueuedJobWork): void {
    this.run(() =>
      this.db
        .prepare(
          `INSERT INTO ${WORK_TABLE} (agent, required_labels, payload, on_interrupt)
           VALUES (?, ARRAY(SELECT jsonb_array_elements_text(CAST(? AS jsonb))), CAST(? AS jsonb), ?)`,
        )
        .run(
          work.agent,
          JSON.stringify([...new Set(work.requiredLabels)].sort()),
          JSON.stringify({ jobId: work.jobId, session: work.session }),
          work.onInterrupt,
        ),
    );
  }

  /**
   * Makes a claimed row name the job its worker recorded for it (a resumed job is recorded by the
   * worker that claims it), so if that worker dies too, the reaper interrupts that job as well.
   */
  adopt(workId: number, work: Pick<QueuedJobWork, "jobId" | "session">): void {
    this.run(() =>
      this.db
        .prepare(`UPDATE ${WORK_TABLE} SET payload = CAST(? AS jsonb) WHERE id = ?`)
        .run(JSON.stringify({ jobId: work.jobId, session: work.session }), workId),
    );
  }

  /** Takes a job that no worker has claimed out of the queue; false once a worker has it. */
  cancelQueued(jobId: string): boolean {
    return this.run(
      () =>
        this.db
          .prepare(
            `UPDATE ${WORK_TABLE} SET status = 'cancelled', finished_at = clock_timestamp()
             WHERE status = 'queued' AND payload ->> 'jobId' = ?`,
          )
          .run(jobId).changes > 0,
    );
  }

  /** Whether the job has a queue row (it was triggered on the cluster, not run by its daemon). */
  isQueued(jobId: string): boolean {
    return this.run(
      () =>
        this.db
          .prepare(`SELECT 1 AS one FROM ${WORK_TABLE} WHERE payload ->> 'jobId' = ? LIMIT 1`)
          .get(jobId) !== undefined,
    );
  }

  /** Replaces the limits every claim checks (the leader writes them from the fleet file). */
  setLimits(limits: WorkLimits): void {
    this.run(() =>
      this.db.transaction(() => {
        this.db.prepare(`DELETE FROM ${LIMITS_TABLE}`).run();
        const insert = this.db.prepare(`INSERT INTO ${LIMITS_TABLE} (scope, max_running) VALUES (?, ?)`);
        if (limits.fleet !== undefined) insert.run("fleet", limits.fleet);
        for (const [agent, n] of Object.entries(limits.agents ?? {})) insert.run(`agent:${agent}`, n);
      })(),
    );
  }

  /**
   * The jobs among these that no queued or running queue row covers: those a daemon ran itself,
   * which no lease looks after (crash recovery of a daemon back under its id takes them).
   */
  uncovered(jobIds: readonly string[]): string[] {
    if (jobIds.length === 0) return [];
    const covered = this.run(() =>
      this.db
        .prepare(
          `SELECT DISTINCT payload ->> 'jobId' AS id FROM ${WORK_TABLE}
           WHERE status IN ('queued', 'running') AND payload ->> 'jobId' IN (${jobIds.map(() => "?").join(", ")})`,
        )
        .all(...jobIds),
    ) as Array<{ id: string }>;
    const taken = new Set(covered.map((r) => r.id));
    return jobIds.filter((id) => !taken.has(id));
  }

  /**
   * Makes this process a member with no slots (`id`, new: generated by the caller) for as long as
   * it runs a job of its own outside a daemon (an in-process trigger): the job's record names it,
   * and once its heartbeat lapses past `leaseMs` any member's reaper interrupts that job. One
   * statement; the tables are made (or brought up to date) only when it fails for lack of them.
   */
  registerMember(member: { id: string; version: string; leaseMs: number }): void {
    const insert = () =>
      (
        this.db
          .prepare(
            `INSERT INTO ${WORKERS_TABLE} (id, hostname, pid, max_concurrent, version, lease_ms, lock_key)
             VALUES (?, ?, ?, 0, ?, ?, nextval('${LOCK_KEYS}')) RETURNING lock_key`,
          )
          .get(member.id, hostname(), process.pid, member.version, Math.round(member.leaseMs)) as {
          lock_key: number;
        }
      ).lock_key;
    let key: number;
    try {
      key = insert();
    } catch {
      // No workers table yet, or one from before members with no slots or session locks: make
      // it current, once.
      this.ensureTables();
      key = this.run(insert);
    }
    // Held on the state's own connection, which lives as long as this process (and is replaced,
    // with the lock taken again, when lost): a kill -9 releases it at once (member-lock.ts).
    this.run(() =>
      this.session?.everyConnect(ACQUIRE_MEMBER_LOCK, [
        member.id,
        key,
        process.pid,
        hostname(),
        MEMBER_LOCK_SPACE,
      ]),
    );
  }

  /**
   * One reaper pass (cluster/reaper.ts) on the state's connection. A CLI that runs a job itself
   * makes one as it joins: the job of a trigger or chat killed on a machine with no daemon stays
   * `running` only until the next herdctl process on the fleet's database, not until a daemon
   * starts. Each statement blocks this thread for its round trip, as every state write does.
   */
  async reapDeadMembers(): Promise<Reaped> {
    const session = this.session;
    if (!session) throw new Error("a reaper pass needs the state's PostgreSQL connection");
    const client = {
      query: async (sql: string, params?: readonly unknown[]) => session.queryTranslated(sql, params ?? []),
    };
    return reapLapsed(client as unknown as pg.ClientBase, true);
  }

  /** Renews a member's heartbeat (registerMember's); false if its row is stopped or gone. */
  heartbeatMember(id: string): boolean {
    return this.run(
      () =>
        this.db
          .prepare(
            `UPDATE ${WORKERS_TABLE} SET heartbeat_at = clock_timestamp()
             WHERE id = ? AND pid = ? AND hostname = ? AND stopped_at IS NULL`,
          )
          .run(id, process.pid, hostname()).changes > 0,
    );
  }

  /** Marks a member stopped once its job's record is final (a reaper then has nothing of it to end). */
  stopMember(id: string): void {
    this.run(() =>
      this.db
        .prepare(
          `UPDATE ${WORKERS_TABLE} SET stopped_at = clock_timestamp() WHERE id = ? AND pid = ? AND hostname = ?`,
        )
        .run(id, process.pid, hostname()),
    );
  }

  /**
   * The rows of members stopped or silent since before `before` that no unfinished job names (all
   * of them on a dry run: counted, not removed). Every CLI run that runs a job itself on PostgreSQL
   * leaves a stopped row, so they go with the job history; a job's record keeps its member's id.
   */
  pruneMembers(before: Date, options: { dryRun?: boolean } = {}): number {
    return this.run(() => {
      const table = this.db.prepare("SELECT to_regclass(?) AS t").get(WORKERS_TABLE) as { t: string | null };
      if (!table.t) return 0;
      const where = `FROM ${WORKERS_TABLE} w
        WHERE w.heartbeat_at < CAST(? AS timestamptz)
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.worker_id = w.id
            AND j.status IN ('queued', 'running', 'waiting_approval'))`;
      const at = before.toISOString();
      if (options.dryRun)
        return Number((this.db.prepare(`SELECT count(*) AS n ${where}`).get(at) as { n: number | string }).n);
      return this.db.prepare(`DELETE ${where}`).run(at).changes;
    });
  }

  /**
   * Workers that have not stopped, with what each runs now; a silent one (killed, its machine gone)
   * for a day after it was last heard, or while a job still names it, not for ever.
   */
  workers(): ClusterWorkerStatus[] {
    const table = this.run(() => this.db.prepare("SELECT to_regclass(?) AS t").get(WORKERS_TABLE)) as
      | { t: string | null }
      | undefined;
    if (!table?.t) return [];
    const rows = this.run(() =>
      this.db
        .prepare(
          `SELECT w.id, w.hostname, w.labels, w.max_concurrent, w.version,
               to_char(w.heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS heartbeat_at,
               CASE WHEN w.heartbeat_at >= clock_timestamp() - make_interval(secs => CAST(? AS float8) / 1000)
                 AND NOT (w.lock_lost_at IS NOT NULL AND w.lock_lost_at < clock_timestamp() - make_interval(secs => CAST(? AS float8) / 1000))
                 THEN 1 ELSE 0 END AS alive,
               (SELECT COUNT(*) FROM ${WORK_TABLE} q WHERE q.status = 'running' AND q.worker_id = w.id)
                 + (SELECT COUNT(*) FROM jobs j WHERE j.status IN ('running', 'waiting_approval') AND j.worker_id = w.id
                     AND NOT EXISTS (SELECT 1 FROM ${WORK_TABLE} q WHERE q.status = 'running'
                       AND q.worker_id = w.id AND q.payload ->> 'jobId' = j.id)) AS running
             FROM ${WORKERS_TABLE} w WHERE w.stopped_at IS NULL
               AND (w.heartbeat_at >= clock_timestamp() - make_interval(secs => CAST(? AS float8) / 1000)
                 OR EXISTS (SELECT 1 FROM jobs j WHERE j.worker_id = w.id
                   AND j.status IN ('queued', 'running', 'waiting_approval')))
             ORDER BY w.id`,
        )
        .all(ALIVE_MS, LOCK_GRACE_MS, SILENT_SHOWN_MS),
    ) as Array<{
      id: string;
      hostname: string;
      labels: string[];
      max_concurrent: number;
      version: string;
      heartbeat_at: string;
      alive: number;
      running: number | string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      labels: r.labels,
      maxConcurrent: Number(r.max_concurrent),
      version: r.version,
      running: Number(r.running),
      heartbeatAt: r.heartbeat_at,
      alive: Number(r.alive) === 1,
    }));
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateStorageError(error, this.where);
    }
  }
}
