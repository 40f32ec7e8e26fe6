/**
 * The tables that let a job's output and an agent's conversation be read on any machine attached
 * to the database (issue #17): `herdctl_job_output` (every output line, numbered as in the job's
 * local `jobs/<id>.jsonl`) and `herdctl_session_transcripts` (claude's transcript of a session,
 * stored after each job and written back before a resume elsewhere). Like the workers' tables they
 * sit outside the state's versioned migrations: only a fleet on PostgreSQL has them, and SQLite's
 * schema stays the same as PostgreSQL's for the state contract.
 */
export const OUTPUT_TABLE = "herdctl_job_output";
export const TRANSCRIPTS_TABLE = "herdctl_session_transcripts";
/** NOTIFY channel: lines of a job were stored (payload: the job id only; readers fetch the lines). */
export const OUTPUT_CHANNEL = "herdctl_output";

/** Idempotent; run under the caller's transaction-scoped advisory lock (see ensure* below). */
export const CENTRAL_TABLES_SQL = `
  create table if not exists ${OUTPUT_TABLE} (
    job_id text not null,
    line int not null check (line >= 0),
    json text not null,
    primary key (job_id, line)
  );
  create table if not exists ${TRANSCRIPTS_TABLE} (
    agent text not null,
    session_id text not null,
    bytes bigint not null check (bytes >= 0),
    sha256 text not null,
    content bytea not null,
    stored_at timestamptz not null default clock_timestamp(),
    primary key (agent, session_id)
  );
`;

/** The advisory lock's key text (hashtext): `create … if not exists` alone races between sessions. */
export const CENTRAL_TABLES_LOCK = OUTPUT_TABLE;

/** For async code on a connection of its own (`ensureClusterSchema` calls it too). */
export async function ensureCentralTables(client: {
  query: (sql: string, values?: unknown[]) => Promise<unknown>;
}): Promise<void> {
  await client.query("begin");
  try {
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [CENTRAL_TABLES_LOCK]);
    await client.query(CENTRAL_TABLES_SQL);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}
