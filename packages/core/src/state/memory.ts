import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName } from "./ids.js";

/** One stored version of an agent's notes. Versions only ever grow; the newest is the current one. */
export interface MemoryVersion {
  readonly agent: string;
  readonly version: number;
  readonly content: string;
  readonly bytes: number;
  /** The size the notes had before they were cut to the agent's cap; null when nothing was cut. */
  readonly truncatedFrom: number | null;
  /** `job`: the agent wrote it during a job; `edit`: a person set it (CLI, API, dashboard). */
  readonly source: "job" | "edit";
  readonly jobId: string | null;
  readonly actor: string | null;
  readonly createdAt: string;
}

export interface NewMemoryVersion {
  readonly content: string;
  readonly truncatedFrom?: number | null;
  readonly source: "job" | "edit";
  readonly jobId?: string | null;
  readonly actor?: string | null;
}

interface MemoryRow {
  agent: string;
  version: number;
  content: string;
  bytes: number;
  truncated_from: number | null;
  source: "job" | "edit";
  job_id: string | null;
  actor: string | null;
  created_at: string;
}

function rowToVersion(row: MemoryRow): MemoryVersion {
  return {
    agent: row.agent,
    version: row.version,
    content: row.content,
    bytes: row.bytes,
    truncatedFrom: row.truncated_from,
    source: row.source,
    jobId: row.job_id,
    actor: row.actor,
    createdAt: row.created_at,
  };
}

/** Versions kept per agent: enough to look back weeks of a busy agent, bounded like the rest of the state. */
export const MEMORY_VERSIONS_KEPT = 200;

export class MemoryRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly now: () => Date,
  ) {}

  current(agent: string): MemoryVersion | undefined {
    assertAgentName(agent);
    const row = this.db
      .prepare("SELECT * FROM agent_memory WHERE agent = ? ORDER BY version DESC LIMIT 1")
      .get(agent) as MemoryRow | undefined;
    return row && rowToVersion(row);
  }

  get(agent: string, version: number): MemoryVersion | undefined {
    assertAgentName(agent);
    const row = this.db
      .prepare("SELECT * FROM agent_memory WHERE agent = ? AND version = ?")
      .get(agent, version) as MemoryRow | undefined;
    return row && rowToVersion(row);
  }

  /** Newest first. */
  versions(agent: string): MemoryVersion[] {
    assertAgentName(agent);
    return (
      this.db
        .prepare("SELECT * FROM agent_memory WHERE agent = ? ORDER BY version DESC")
        .all(agent) as MemoryRow[]
    ).map(rowToVersion);
  }

  /**
   * Stores the next version; numbering is per agent and taken inside the write. The oldest versions
   * beyond MEMORY_VERSIONS_KEPT are dropped; numbers are never reused.
   */
  save(agent: string, next: NewMemoryVersion): MemoryVersion {
    assertAgentName(agent);
    try {
      return this.db
        .transaction(() => {
          const { latest } = this.db
            .prepare("SELECT MAX(version) AS latest FROM agent_memory WHERE agent = ?")
            .get(agent) as { latest: number | null };
          const version = (latest ?? 0) + 1;
          this.db
            .prepare(
              `INSERT INTO agent_memory (agent, version, content, bytes, truncated_from, source, job_id, actor, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              agent,
              version,
              next.content,
              Buffer.byteLength(next.content),
              next.truncatedFrom ?? null,
              next.source,
              next.jobId ?? null,
              next.actor ?? null,
              this.now().toISOString(),
            );
          this.db
            .prepare("DELETE FROM agent_memory WHERE agent = ? AND version <= ?")
            .run(agent, version - MEMORY_VERSIONS_KEPT);
          return this.get(agent, version)!;
        })
        .immediate();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }
}
