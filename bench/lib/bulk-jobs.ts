/**
 * Fills a state database with finished jobs in one SQLite transaction matching the jobs table:
 * the repository API takes ~40 s for 100,000, which would dwarf what the history benches time.
 */
import Database from "better-sqlite3";

const START = Date.parse("2025-01-01T00:00:00.000Z");
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** The id of the i-th filled job: a valid job id, unique per i. */
export function bulkJobId(i: number): string {
  const at = new Date(START + i * 30_000);
  const stamp = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  let suffix = "";
  for (let n = i, k = 0; k < 6; k++, n = Math.floor(n / 36)) suffix += ALPHABET[n % 36];
  return `job-${stamp}-${suffix}`;
}

/**
 * Inserts `size` jobs spread over `agents` agent names (agent-00 …), 30 s apart from `startMs`;
 * returns the time it took, ms.
 */
export function bulkInsertJobs(dbPath: string, size: number, agents = 50, startMs = START): number {
  const t0 = performance.now();
  const db = new Database(dbPath);
  const insert =
    db.prepare(`INSERT INTO jobs (id, agent, schedule, trigger_type, status, exit_reason, error, prompt,
    summary, session_id, runtime, docker, pid, created_at, started_at, finished_at, duration_ms, num_turns,
    input_tokens, output_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 3, 1200, 300, 0.004)`);
  db.transaction(() => {
    for (let i = 0; i < size; i++) {
      const at = new Date(startMs + i * 30_000);
      const failed = i % 10 === 3;
      insert.run(
        bulkJobId(i),
        `agent-${String(i % agents).padStart(2, "0")}`,
        i % 4 === 0 ? "poll" : null,
        i % 4 === 0 ? "schedule" : "manual",
        failed ? "failed" : "completed",
        failed ? "error" : "success",
        failed ? "claude exited with code 1" : null,
        "Triage new issues and label them.",
        failed ? null : "Labelled 3 issues.",
        null,
        i % 2 === 0 ? "sdk" : "cli",
        10_000 + (i % 30_000),
        at.toISOString(),
        at.toISOString(),
        new Date(at.getTime() + 12_000).toISOString(),
        12_000,
      );
    }
  })();
  db.close();
  return performance.now() - t0;
}
