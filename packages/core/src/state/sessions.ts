import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";
import { assertAgentName, assertSessionId } from "./ids.js";
import { RUNTIME_KINDS, type RuntimeKind } from "./job-record.js";

/** The Claude session an agent continues by default on its next job. */
export interface SessionPointer {
  readonly agent: string;
  readonly sessionId: string;
  readonly workingDirectory: string;
  readonly runtime: RuntimeKind;
  readonly docker: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string;
}

export interface SaveSession {
  readonly agent: string;
  readonly sessionId: string;
  readonly workingDirectory: string;
  readonly runtime: RuntimeKind;
  readonly docker: boolean;
}

interface SessionRow {
  agent: string;
  session_id: string;
  working_directory: string;
  runtime: string;
  docker: number;
  created_at: string;
  last_used_at: string;
}

function rowToSession(row: SessionRow): SessionPointer {
  return {
    agent: row.agent,
    sessionId: row.session_id,
    workingDirectory: row.working_directory,
    runtime: row.runtime as RuntimeKind,
    docker: row.docker === 1,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export class SessionRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly now: () => Date,
  ) {}

  get(agent: string): SessionPointer | undefined {
    assertAgentName(agent);
    const row = this.db.prepare("SELECT * FROM sessions WHERE agent = ?").get(agent) as
      | SessionRow
      | undefined;
    return row === undefined ? undefined : rowToSession(row);
  }

  list(): SessionPointer[] {
    return (this.db.prepare("SELECT * FROM sessions ORDER BY agent").all() as SessionRow[]).map(rowToSession);
  }

  /**
   * Points the agent at a session. Saving the session it already points at only refreshes
   * `lastUsedAt` (and the other details); a different session starts a new pointer.
   */
  save(session: SaveSession): SessionPointer {
    assertAgentName(session.agent);
    assertSessionId(session.sessionId);
    if (!(RUNTIME_KINDS as readonly string[]).includes(session.runtime)) {
      throw new RangeError(`unknown runtime ${JSON.stringify(session.runtime)}`);
    }
    const at = this.now().toISOString();
    try {
      this.db
        .prepare(
          `INSERT INTO sessions (agent, session_id, working_directory, runtime, docker, created_at, last_used_at)
           VALUES (@agent, @sessionId, @workingDirectory, @runtime, @docker, @at, @at)
           ON CONFLICT (agent) DO UPDATE SET
             created_at = CASE WHEN sessions.session_id = excluded.session_id THEN sessions.created_at ELSE excluded.created_at END,
             session_id = excluded.session_id,
             working_directory = excluded.working_directory,
             runtime = excluded.runtime,
             docker = excluded.docker,
             last_used_at = excluded.last_used_at`,
        )
        .run({ ...session, docker: session.docker ? 1 : 0, at });
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
    return this.get(session.agent)!;
  }

  /** Forgets the agent's session; returns whether there was one. */
  clear(agent: string): boolean {
    assertAgentName(agent);
    try {
      return this.db.prepare("DELETE FROM sessions WHERE agent = ?").run(agent).changes > 0;
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }
}
