import type pg from "pg";
import { z } from "zod";
import { LIMITS_TABLE, WORK_TABLE } from "./schema.js";

export { CLAIM_LOCK } from "./schema.js";

/**
 * The shared queue: a job is a row; a worker claims rows with `for update skip locked`, and holds
 * each under a lease (`lease_until`, by the database's clock) that its heartbeat renews. Placement
 * and every concurrency limit are checked in the claim itself:
 * - placement: a job's `required_labels` must all be among the worker's labels;
 * - the worker's own `max_concurrent`;
 * - the agent's `max_concurrent` and the fleet's limit, counted over ALL workers' running rows.
 *
 * The last two are the reason a claim takes one transaction-scoped advisory lock (`CLAIM_LOCK`)
 * before counting: two workers counting at the same moment would both see the last free slot and both
 * take it. Under the lock claims follow one another, and each one's count sees every claim
 * committed before it (the lock is released only after the commit is visible). Claims are short
 * (one statement, a few ms), so a fleet of dozens of workers does not queue behind it; see
 * docs/scaling.md for the alternatives weighed. Finishing and reaping need no lock: they only free
 * slots, and a claim that counts a just-freed slot as taken merely waits for the next round.
 */
export interface WorkSpec {
  agent: string;
  /** Labels a worker must have to run it (the agent's `placement.labels`). */
  requiredLabels?: string[];
  /** What the worker needs to run the job (prompt, trigger, session …). */
  payload?: Record<string, unknown>;
  /** `resume`: if its worker dies, the job is queued again for another worker. */
  onInterrupt?: "none" | "resume";
}

export type WorkStatus = "queued" | "running" | "completed" | "failed" | "interrupted" | "cancelled";

/** A claimed row, read back from the database: the worker trusts the database, but checks shape. */
const ClaimedRow = z.object({
  id: z.coerce.number().int().positive(),
  agent: z.string().min(1),
  required_labels: z.array(z.string()),
  payload: z.record(z.string(), z.unknown()),
  on_interrupt: z.enum(["none", "resume"]),
  resumed_from: z.coerce.number().int().positive().nullable(),
});

export interface ClaimedJob {
  id: number;
  agent: string;
  requiredLabels: string[];
  payload: Record<string, unknown>;
  onInterrupt: "none" | "resume";
  /** The interrupted job this one resumes, if any. */
  resumedFrom: number | null;
}

export interface ClaimRequest {
  workerId: string;
  labels: string[];
  /** Slots this worker has free now (its `max_concurrent` minus what it runs). */
  free: number;
  /** The worker's `max_concurrent`: checked against its running rows too. */
  maxConcurrent: number;
  leaseMs: number;
}

/** Fleet-wide limits every claim checks: `undefined` means no limit. */
export interface WorkLimits {
  fleet?: number;
  agents?: Record<string, number>;
}

/** Queues jobs (one statement, one NOTIFY) and returns their ids in order. */
export async function enqueue(client: pg.ClientBase, jobs: WorkSpec[]): Promise<number[]> {
  if (jobs.length === 0) return [];
  const rows = jobs.map((j) => ({
    agent: j.agent,
    required_labels: [...new Set(j.requiredLabels ?? [])].sort(),
    payload: j.payload ?? {},
    on_interrupt: j.onInterrupt ?? "none",
  }));
  const { rows: ids } = await client.query<{ id: string }>(
    `insert into ${WORK_TABLE} (agent, required_labels, payload, on_interrupt)
     select e.j ->> 'agent', array(select jsonb_array_elements_text(e.j -> 'required_labels')),
       e.j -> 'payload', e.j ->> 'on_interrupt'
     from jsonb_array_elements($1::jsonb) with ordinality as e(j, n)
     order by e.n
     returning id`,
    [JSON.stringify(rows)],
  );
  return ids.map((r) => Number(r.id));
}

/** Replaces the fleet's limits (the leader writes them from the fleet file). */
export async function setLimits(client: pg.ClientBase, limits: WorkLimits): Promise<void> {
  const rows: Array<[string, number]> = Object.entries(limits.agents ?? {}).map(([a, n]) => [
    `agent:${a}`,
    n,
  ]);
  if (limits.fleet !== undefined) rows.push(["fleet", limits.fleet]);
  await client.query("begin");
  try {
    await client.query(`delete from ${LIMITS_TABLE}`);
    await client.query(
      `insert into ${LIMITS_TABLE} (scope, max_running) select * from unnest($1::text[], $2::int[])`,
      [rows.map((r) => r[0]), rows.map((r) => r[1])],
    );
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}

/**
 * Takes up to `free` queued jobs this worker may run, within every limit, and leases them: one
 * call of `herdctl_work_claim` (schema.ts), which holds the claim lock for its own few
 * milliseconds only (no round trip to the client happens under it).
 */
export async function claim(client: pg.ClientBase, req: ClaimRequest): Promise<ClaimedJob[]> {
  if (req.free <= 0) return [];
  const { rows } = await client.query(
    `select id, agent, required_labels, payload, on_interrupt, resumed_from
     from ${WORK_TABLE}_claim($1, $2::text[], $3::int, $4::int, $5::float8)`,
    [req.workerId, req.labels, req.free, req.maxConcurrent, req.leaseMs],
  );
  const jobs: ClaimedJob[] = [];
  for (const row of rows) {
    const parsed = ClaimedRow.safeParse(row);
    if (parsed.success) {
      const r = parsed.data;
      jobs.push({
        id: r.id,
        agent: r.agent,
        requiredLabels: r.required_labels,
        payload: r.payload,
        onInterrupt: r.on_interrupt,
        resumedFrom: r.resumed_from,
      });
      continue;
    }
    // Whoever wrote this row did not go through enqueue(). Failing it here, with what was wrong,
    // keeps it from coming back: left running, it would lapse, be resumed and claimed forever.
    const issue = parsed.error.issues[0];
    await finish(client, req.workerId, Number(row.id), {
      status: "failed",
      error: `queue row ${row.id} is malformed (${issue?.path.join(".") || "row"}: ${issue?.message}); it was not run. Queue jobs through herdctl, not by writing the table`,
    });
  }
  return jobs.sort((a, b) => a.id - b.id);
}

/**
 * Extends the leases of the jobs this process runs; returns the ids it still holds. A job missing
 * from the answer was taken from this worker (its lease lapsed and it was interrupted): the worker
 * must stop it, not finish it.
 */
export async function renewLeases(
  client: pg.ClientBase,
  workerId: string,
  jobIds: number[],
  leaseMs: number,
): Promise<Set<number>> {
  if (jobIds.length === 0) return new Set();
  const { rows } = await client.query<{ id: string }>(
    `update ${WORK_TABLE} set lease_until = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
     where id = any($2::bigint[]) and worker_id = $1 and status = 'running'
     returning id`,
    [workerId, jobIds, leaseMs],
  );
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * Records a job's end; false when this worker no longer held it (its lease lapsed and it was
 * interrupted), in which case nothing is written: a job is never finished twice.
 */
export async function finish(
  client: pg.ClientBase,
  workerId: string,
  jobId: number,
  outcome: { status: "completed" | "failed" | "cancelled"; error?: string },
): Promise<boolean> {
  const { rowCount } = await client.query(
    `update ${WORK_TABLE} set status = $3, finished_at = clock_timestamp(), lease_until = null, error = $4
     where id = $2 and worker_id = $1 and status = 'running'`,
    [workerId, jobId, outcome.status, outcome.error ?? null],
  );
  return rowCount === 1;
}
