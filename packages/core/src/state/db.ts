import { closeSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import Database from "better-sqlite3";
import { CorruptDatabaseError, SchemaTooNewError, translateStorageError } from "./errors.js";

/** better-sqlite3's connection, as db.ts opens it; repositories see it as a Db (db-interface.ts). */
export type SqliteDb = Database.Database;
export type { Db } from "./db-interface.js";

/**
 * better-sqlite3's options with its native addon, loaded on the first open: commands that never
 * open the database (a daemon query, --help) start without it. The addon is loaded here, straight
 * from its file, and handed over as an object: otherwise better-sqlite3 asks the `bindings`
 * package, which reads a stack trace and tries a dozen folders first, or goes through the
 * CommonJS loader (together a visible part of a short command's start-up). Where the build put
 * the addon elsewhere, better-sqlite3 finds it as it always does. (The CLI's bundle carries
 * better-sqlite3's JavaScript, so only the addon is read from node_modules: the two must be one
 * version, which is why both package.json files pin better-sqlite3 exactly, not with a range.)
 */
let sqliteOptions: Database.Options | undefined;
function loadSqlite(): Database.Options {
  sqliteOptions ??= loadAddon();
  return sqliteOptions;
}

function loadAddon(): Database.Options {
  let addonPath: string;
  try {
    addonPath = createRequire(import.meta.url).resolve("better-sqlite3/build/Release/better_sqlite3.node");
  } catch {
    return {};
  }
  const addon = { exports: {} };
  process.dlopen(addon, addonPath);
  // better-sqlite3 takes the addon object itself (its types say only a path).
  return { nativeBinding: addon.exports as unknown as string };
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /**
   * The migration rebuilds a table other tables reference (SQLite cannot change a CHECK in
   * place): foreign keys are off while it runs, or dropping the old table would null every
   * reference to it, and are checked before it commits.
   */
  readonly rebuildsTables?: boolean;
}

const STATUSES = "'queued','running','completed','failed','cancelled','timed_out','interrupted'";

/**
 * Numbered, append-only: a released migration is never edited, a change is a new entry.
 * Timestamps are ISO-8601 UTC strings with milliseconds (`Date.toISOString()`), so they compare
 * correctly as text and stay readable in the sqlite3 shell.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL,
        agent TEXT NOT NULL,
        schedule TEXT,
        trigger_type TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN (${STATUSES})),
        exit_reason TEXT,
        error TEXT,
        prompt TEXT NOT NULL,
        summary TEXT,
        session_id TEXT,
        resumed_from TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        runtime TEXT NOT NULL CHECK (runtime IN ('sdk', 'cli')),
        docker INTEGER NOT NULL DEFAULT 0 CHECK (docker IN (0, 1)),
        pid INTEGER,
        container_id TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        duration_ms INTEGER,
        num_turns INTEGER,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_creation_tokens INTEGER,
        cost_usd REAL,
        usage_json TEXT,
        hook_errors TEXT,
        attempt INTEGER NOT NULL DEFAULT 1
      );
      -- One index per listing filter, each ending in the sort key, so a page is an index range
      -- scan with no sort however many jobs exist.
      CREATE INDEX jobs_by_time ON jobs (created_at, id);
      CREATE INDEX jobs_by_agent ON jobs (agent, created_at, id);
      CREATE INDEX jobs_by_status ON jobs (status, created_at, id);
      CREATE INDEX jobs_by_agent_status ON jobs (agent, status, created_at, id);
      CREATE INDEX jobs_by_resumed_from ON jobs (resumed_from);

      CREATE TABLE sessions (
        agent TEXT PRIMARY KEY NOT NULL,
        session_id TEXT NOT NULL,
        working_directory TEXT NOT NULL,
        runtime TEXT NOT NULL CHECK (runtime IN ('sdk', 'cli')),
        docker INTEGER NOT NULL CHECK (docker IN (0, 1)),
        created_at TEXT NOT NULL,
        last_used_at TEXT NOT NULL
      );

      CREATE TABLE schedules (
        agent TEXT NOT NULL,
        schedule TEXT NOT NULL,
        last_run_at TEXT,
        next_run_at TEXT,
        last_status TEXT,
        last_error TEXT,
        enabled_override INTEGER CHECK (enabled_override IN (0, 1)),
        PRIMARY KEY (agent, schedule)
      ) WITHOUT ROWID;

      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        agent TEXT,
        job_id TEXT,
        data TEXT
      );
      CREATE INDEX events_by_time ON events (at);
      CREATE INDEX events_by_agent ON events (agent, id);
      CREATE INDEX events_by_job ON events (job_id, id);
    `,
  },
  {
    version: 2,
    name: "job process group identity",
    // JSON {pgid, startTicks, bootId}: recovery kills a job's processes only while it still matches.
    sql: "ALTER TABLE jobs ADD COLUMN process_group TEXT;",
  },
  {
    version: 3,
    name: "job retries and tool failures",
    // retry_of links every retry to the job that failed first; next_retry_at is set on a failed
    // job while its next attempt waits for its backoff; api_error_kind is claude's own class of
    // an API failure (server_error, rate_limit, ...), which decides whether a retry can help.
    sql: `
      ALTER TABLE jobs ADD COLUMN retry_of TEXT REFERENCES jobs (id) ON DELETE SET NULL;
      ALTER TABLE jobs ADD COLUMN next_retry_at TEXT;
      ALTER TABLE jobs ADD COLUMN api_error_kind TEXT;
      ALTER TABLE jobs ADD COLUMN tool_failures TEXT;
      CREATE INDEX jobs_by_retry_of ON jobs (retry_of, attempt);
    `,
  },
  {
    version: 4,
    name: "job ran offline",
    // 1 when claude talked to herdctl's stand-in: the job's tokens are real, nothing was billed.
    sql: "ALTER TABLE jobs ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;",
  },
  {
    version: 5,
    name: "agent metadata of a job",
    // The JSON object the agent wrote to its metadata file (metadata_file) during the job.
    sql: "ALTER TABLE jobs ADD COLUMN metadata_json TEXT;",
  },
  {
    version: 6,
    name: "job forked from",
    // The finished job whose session this one branched from (`trigger --fork`); that job and its
    // transcript stay as they were.
    sql: "ALTER TABLE jobs ADD COLUMN forked_from TEXT REFERENCES jobs (id) ON DELETE SET NULL;",
  },
  {
    version: 7,
    name: "job egress",
    // JSON list of what a proxy-only job reached through herdctl's egress proxy: host, port,
    // allowed or refused, connections, bytes each way (see proxy/egress-log.ts).
    sql: "ALTER TABLE jobs ADD COLUMN egress_json TEXT;",
  },
  {
    version: 8,
    name: "durable wakes",
    // A wake an agent scheduled with claude's ScheduleWakeup or CronCreate, kept so it outlives
    // the claude process: it resumes session_id of agent with prompt at next_fire_at. claude_id
    // is claude's own id of a CronCreate job, so the agent's CronDelete can end it.
    sql: `
      CREATE TABLE wakes (
        id TEXT PRIMARY KEY NOT NULL,
        agent TEXT NOT NULL,
        job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        session_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('once', 'cron')),
        prompt TEXT NOT NULL,
        cron TEXT,
        timezone TEXT,
        claude_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'cancelled', 'expired', 'missed')),
        created_at TEXT NOT NULL,
        next_fire_at TEXT,
        expires_at TEXT,
        last_fired_at TEXT,
        last_job_id TEXT,
        fire_count INTEGER NOT NULL DEFAULT 0,
        ended_at TEXT
      );
      CREATE INDEX wakes_by_status ON wakes (status, next_fire_at);
      CREATE INDEX wakes_by_agent ON wakes (agent, status, created_at);
    `,
  },
  {
    version: 9,
    name: "chats",
    // A chat is a conversation with one agent on its own claude session (never the agent's job
    // session). Each turn is a job (trigger type chat); its user message row carries the job id,
    // which links the turn's job to the chat. Assistant rows are assembled from the turn's stream.
    sql: `
      CREATE TABLE chats (
        id TEXT PRIMARY KEY NOT NULL,
        agent TEXT NOT NULL,
        title TEXT NOT NULL,
        surface TEXT NOT NULL CHECK (surface IN ('web', 'terminal', 'api', 'discord', 'slack')),
        session_id TEXT,
        created_at TEXT NOT NULL,
        last_active_at TEXT NOT NULL,
        last_message TEXT
      );
      CREATE INDEX chats_by_activity ON chats (last_active_at);
      CREATE INDEX chats_by_agent ON chats (agent, last_active_at);
      CREATE TABLE chat_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
        job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        text TEXT NOT NULL,
        tool_calls TEXT NOT NULL DEFAULT '[]',
        input_tokens INTEGER,
        output_tokens INTEGER,
        cost_usd REAL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX chat_messages_by_chat ON chat_messages (chat_id, id);
      CREATE INDEX chat_messages_by_job ON chat_messages (job_id);
    `,
  },
  {
    version: 10,
    name: "audit trail",
    // Append-only record of actions that change what runs; each row hashes the one before it
    // (see audit/chain.ts). The triggers make an UPDATE or DELETE through herdctl fail loudly.
    sql: `
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY NOT NULL,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        via TEXT NOT NULL,
        who TEXT NOT NULL,
        target TEXT,
        detail TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_by_time ON audit (at);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    `,
  },
  {
    version: 11,
    name: "index forks for pruning",
    // Deleting a job sets forked_from of its forks to NULL: without an index SQLite scans every
    // job for each one deleted, which makes a prune of 30,000 jobs out of 100,000 take minutes.
    // The newest job of a session is the one that holds it (see state/retention.ts).
    sql: `
      CREATE INDEX jobs_by_forked_from ON jobs (forked_from);
      CREATE INDEX jobs_by_session ON jobs (session_id, created_at);
    `,
  },
  {
    version: 12,
    name: "jobs may be skipped by a gate",
    rebuildsTables: true,
    // The columns in the order the earlier migrations left them, so rows copy with SELECT *.
    sql: `
      CREATE TABLE jobs_next (
        id TEXT PRIMARY KEY NOT NULL,
        agent TEXT NOT NULL,
        schedule TEXT,
        trigger_type TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN (${STATUSES},'skipped')),
        exit_reason TEXT,
        error TEXT,
        prompt TEXT NOT NULL,
        summary TEXT,
        session_id TEXT,
        resumed_from TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        runtime TEXT NOT NULL CHECK (runtime IN ('sdk', 'cli')),
        docker INTEGER NOT NULL DEFAULT 0 CHECK (docker IN (0, 1)),
        pid INTEGER,
        container_id TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        duration_ms INTEGER,
        num_turns INTEGER,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_creation_tokens INTEGER,
        cost_usd REAL,
        usage_json TEXT,
        hook_errors TEXT,
        attempt INTEGER NOT NULL DEFAULT 1,
        process_group TEXT,
        retry_of TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        next_retry_at TEXT,
        api_error_kind TEXT,
        tool_failures TEXT,
        offline INTEGER NOT NULL DEFAULT 0,
        metadata_json TEXT,
        forked_from TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        egress_json TEXT
      );
      INSERT INTO jobs_next SELECT * FROM jobs;
      DROP TABLE jobs;
      ALTER TABLE jobs_next RENAME TO jobs;
      CREATE INDEX jobs_by_time ON jobs (created_at, id);
      CREATE INDEX jobs_by_agent ON jobs (agent, created_at, id);
      CREATE INDEX jobs_by_status ON jobs (status, created_at, id);
      CREATE INDEX jobs_by_agent_status ON jobs (agent, status, created_at, id);
      CREATE INDEX jobs_by_resumed_from ON jobs (resumed_from);
      CREATE INDEX jobs_by_retry_of ON jobs (retry_of, attempt);
      CREATE INDEX jobs_by_forked_from ON jobs (forked_from);
      CREATE INDEX jobs_by_session ON jobs (session_id, created_at);
    `,
  },
  {
    version: 13,
    name: "chats linked to a chat platform's conversation",
    // A Discord channel or thread, a Slack thread: where a connector's chat lives on its platform.
    // Several chats may share a key (a conversation that expired started a new one); the newest is current.
    sql: `
      ALTER TABLE chats ADD COLUMN external_key TEXT;
      CREATE INDEX chats_by_external_key ON chats (agent, external_key, created_at);
    `,
  },
  {
    version: 14,
    name: "covering index for usage reports",
    // The usage report groups every job of a range by day, agent, status and duration: read
    // through jobs_by_time, each row is a lookup into the wide table (prompts, summaries), which
    // made one report take ~0.5 s at 100,000 jobs. With every column it reads in the index, it
    // scans the index alone (see spend/usage-report.ts and bench/usage-page.ts).
    sql: `CREATE INDEX jobs_usage ON jobs (created_at, agent, status, duration_ms, cost_usd,
      input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens);`,
  },
  {
    version: 15,
    name: "usage-limit pauses",
    // A credential (named by a hash, never the secret) whose usage limit was reached: scheduled
    // work that uses it waits until `until`. probe_job_id is the one job let through after the
    // reset to see whether the limit lifted. Kept so a restart keeps the pause.
    sql: `
      CREATE TABLE usage_pauses (
        credential TEXT PRIMARY KEY NOT NULL,
        label TEXT NOT NULL,
        paused_at TEXT NOT NULL,
        until TEXT NOT NULL,
        source TEXT NOT NULL,
        message TEXT NOT NULL,
        job_id TEXT,
        probe_job_id TEXT
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 16,
    name: "audit checkpoint",
    // Audit retention without breaking the chain: the one checkpoint row names the newest entry
    // pruned (its seq and hash), so verify starts from it. It only moves forward, and only to an
    // entry that exists; entries at or below it are the only ones a DELETE may remove. UPDATE of
    // an entry stays refused.
    sql: `
      CREATE TABLE audit_checkpoint (
        id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
        through_seq INTEGER NOT NULL,
        through_hash TEXT NOT NULL,
        at TEXT NOT NULL
      );
      INSERT INTO audit_checkpoint (id, through_seq, through_hash, at)
        VALUES (1, 0, '${"0".repeat(64)}', '1970-01-01T00:00:00.000Z');
      CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
        WHEN NEW.id IS NOT 1 OR NEW.through_seq <= OLD.through_seq
          OR NEW.through_hash IS NOT (SELECT hash FROM audit WHERE seq = NEW.through_seq)
        BEGIN SELECT RAISE(ABORT, 'the audit checkpoint only moves forward, to an entry that exists'); END;
      CREATE TRIGGER audit_checkpoint_no_insert BEFORE INSERT ON audit_checkpoint
        BEGIN SELECT RAISE(ABORT, 'the audit checkpoint is one row'); END;
      CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
        BEGIN SELECT RAISE(ABORT, 'the audit checkpoint is one row'); END;
      DROP TRIGGER audit_no_delete;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        WHEN OLD.seq > (SELECT through_seq FROM audit_checkpoint WHERE id = 1)
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    `,
  },
  {
    version: 17,
    name: "agent memory versions",
    // Append-only versions of each agent's notes; the newest is the current one. job_id is not a
    // foreign key: a version outlives the pruning of the job that wrote it.
    sql: `
      CREATE TABLE agent_memory (
        agent TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        content TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        truncated_from INTEGER,
        source TEXT NOT NULL CHECK (source IN ('job', 'edit')),
        job_id TEXT,
        actor TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (agent, version)
      );
    `,
  },
  {
    version: 18,
    name: "usage versions per UTC day",
    // The usage report keeps what it summed for whole past days and reuses it while their version
    // is unchanged (state/usage.ts). Triggers, not the code paths that write jobs, bump the
    // day of every job inserted, ended, re-costed or pruned, so no writer (a bulk fill included)
    // can leave a stale sum behind. Only the columns the report reads count.
    sql: `
      CREATE TABLE usage_versions (
        day TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TRIGGER usage_versions_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO usage_versions (day, version) VALUES (date(NEW.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
      END;
      CREATE TRIGGER usage_versions_update AFTER UPDATE OF created_at, agent, status, duration_ms,
        cost_usd, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens ON jobs BEGIN
        INSERT INTO usage_versions (day, version) VALUES (date(OLD.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
        INSERT INTO usage_versions (day, version) VALUES (date(NEW.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
      END;
      CREATE TRIGGER usage_versions_delete AFTER DELETE ON jobs BEGIN
        INSERT INTO usage_versions (day, version) VALUES (date(OLD.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
      END;
    `,
  },
  {
    version: 19,
    name: "approvals for risky tool calls",
    rebuildsTables: true,
    // A job waits (waiting_approval) while a person decides; the jobs table is rebuilt as in
    // migration 12 because SQLite cannot change its CHECK in place. The usage triggers live on
    // the table, so they are made again.
    sql: `
      CREATE TABLE jobs_next (
        id TEXT PRIMARY KEY NOT NULL,
        agent TEXT NOT NULL,
        schedule TEXT,
        trigger_type TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN (${STATUSES},'skipped','waiting_approval')),
        exit_reason TEXT,
        error TEXT,
        prompt TEXT NOT NULL,
        summary TEXT,
        session_id TEXT,
        resumed_from TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        runtime TEXT NOT NULL CHECK (runtime IN ('sdk', 'cli')),
        docker INTEGER NOT NULL DEFAULT 0 CHECK (docker IN (0, 1)),
        pid INTEGER,
        container_id TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        duration_ms INTEGER,
        num_turns INTEGER,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_creation_tokens INTEGER,
        cost_usd REAL,
        usage_json TEXT,
        hook_errors TEXT,
        attempt INTEGER NOT NULL DEFAULT 1,
        process_group TEXT,
        retry_of TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        next_retry_at TEXT,
        api_error_kind TEXT,
        tool_failures TEXT,
        offline INTEGER NOT NULL DEFAULT 0,
        metadata_json TEXT,
        forked_from TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        egress_json TEXT
      );
      INSERT INTO jobs_next SELECT * FROM jobs;
      DROP TABLE jobs;
      ALTER TABLE jobs_next RENAME TO jobs;
      CREATE INDEX jobs_by_time ON jobs (created_at, id);
      CREATE INDEX jobs_by_agent ON jobs (agent, created_at, id);
      CREATE INDEX jobs_by_status ON jobs (status, created_at, id);
      CREATE INDEX jobs_by_agent_status ON jobs (agent, status, created_at, id);
      CREATE INDEX jobs_by_resumed_from ON jobs (resumed_from);
      CREATE INDEX jobs_by_retry_of ON jobs (retry_of, attempt);
      CREATE INDEX jobs_by_forked_from ON jobs (forked_from);
      CREATE INDEX jobs_by_session ON jobs (session_id, created_at);
      CREATE TRIGGER usage_versions_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO usage_versions (day, version) VALUES (date(NEW.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
      END;
      CREATE TRIGGER usage_versions_update AFTER UPDATE OF created_at, agent, status, duration_ms,
        cost_usd, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens ON jobs BEGIN
        INSERT INTO usage_versions (day, version) VALUES (date(OLD.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
        INSERT INTO usage_versions (day, version) VALUES (date(NEW.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
      END;
      CREATE TRIGGER usage_versions_delete AFTER DELETE ON jobs BEGIN
        INSERT INTO usage_versions (day, version) VALUES (date(OLD.created_at), 1)
          ON CONFLICT (day) DO UPDATE SET version = version + 1;
      END;
      CREATE INDEX jobs_usage ON jobs (created_at, agent, status, duration_ms, cost_usd,
        input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens);
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY NOT NULL,
        job_id TEXT NOT NULL,
        agent TEXT NOT NULL,
        tool TEXT NOT NULL,
        tool_input TEXT NOT NULL,
        input_key TEXT NOT NULL,
        rule TEXT,
        requested_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        on_timeout TEXT NOT NULL CHECK (on_timeout IN ('deny', 'allow')),
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'timed_out')),
        decided_by TEXT,
        decided_via TEXT CHECK (decided_via IN ('cli', 'dashboard', 'chat', 'discord', 'slack', 'timeout', 'api')),
        reason TEXT,
        decided_at TEXT
      );
      CREATE INDEX approvals_by_state ON approvals (state, requested_at);
      CREATE INDEX approvals_by_job ON approvals (job_id, input_key);
    `,
  },
  {
    version: 20,
    name: "job worker and cancel request",
    // On PostgreSQL a job runs on whichever worker claims it (docs/scaling.md): worker_id names
    // it, and cancel_requested is how a cancel asked on another machine reaches that worker. On
    // SQLite the one daemon runs everything; the columns stay as they are there (same schema).
    sql: `
      ALTER TABLE jobs ADD COLUMN worker_id TEXT;
      ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1));
    `,
  },
];

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");

/** Reads the header without SQLite, so a foreign file is recognised before any pragma runs. */
function readHeader(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const header = Buffer.alloc(SQLITE_MAGIC.length);
    const read = readSync(fd, header, 0, header.length, 0);
    return header.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

function checkHeader(path: string): void {
  const header = readHeader(path);
  // A missing or empty file is a new database; anything else must carry SQLite's magic string.
  if (header === undefined || header.length === 0) return;
  if (!header.equals(SQLITE_MAGIC)) {
    throw new CorruptDatabaseError(path, "the file does not start with the SQLite header");
  }
}

function quickCheck(db: SqliteDb, path: string): void {
  const problems = db.pragma("quick_check", { simple: false }) as { quick_check: string }[];
  const messages = problems.map((row) => row.quick_check);
  if (messages.length !== 1 || messages[0] !== "ok") {
    throw new CorruptDatabaseError(path, `quick_check: ${messages.slice(0, 3).join("; ")}`);
  }
}

/** A rebuild that left a dangling reference rolls back rather than commit a broken schema. */
function assertForeignKeys(db: SqliteDb, migration: Migration): void {
  const broken = db.pragma("foreign_key_check") as { table: string; rowid: number; parent: string }[];
  if (broken.length === 0) return;
  const first = broken[0]!;
  throw new Error(
    `migration ${migration.version} (${migration.name}) would leave ${broken.length} broken references ` +
      `(first: ${first.table} row ${first.rowid} → ${first.parent}); the database was left as it was`,
  );
}

export function schemaVersion(db: SqliteDb): number {
  const row = db.prepare("SELECT MAX(version) AS version FROM schema_migrations").get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

function migrate(db: SqliteDb, path: string, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const current = schemaVersion(db);
  if (current > known) throw new SchemaTooNewError(path, current, known);
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    // SQLite ignores this pragma inside a transaction, so it is set around one.
    if (migration.rebuildsTables) db.pragma("foreign_keys = OFF");
    try {
      // Each migration commits on its own, so an interrupted upgrade resumes where it stopped. The
      // write lock is taken before the version is read again: another process (a CLI command
      // beside the daemon) may have applied this migration since `current` was read.
      db.transaction(() => {
        if (schemaVersion(db) >= migration.version) return;
        db.exec(migration.sql);
        if (migration.rebuildsTables) assertForeignKeys(db, migration);
        record.run(migration.version, migration.name, new Date().toISOString());
      }).immediate();
    } finally {
      if (migration.rebuildsTables) db.pragma("foreign_keys = ON");
    }
  }
}

/**
 * Opens (creating if absent) the state database. A file that is not a healthy SQLite database
 * raises STATE_CORRUPT_DATABASE before anything is written to it: the integrity check runs before
 * WAL mode or migrations could touch the file.
 */
/**
 * How much to check on open: "quick" runs SQLite's quick_check (about a second at 100,000 jobs;
 * the daemon does it once at start), "header" checks only the file header, for short-lived
 * readers such as `herdctl jobs` that must answer in milliseconds.
 */
export type OpenVerification = "quick" | "header";

export function openDatabase(
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
  verify: OpenVerification = "quick",
): SqliteDb {
  checkHeader(path);
  let db: SqliteDb | undefined;
  try {
    db = new Database(path, loadSqlite());
    db.pragma("busy_timeout = 5000");
    if (verify === "quick") quickCheck(db, path);
    db.pragma("journal_mode = WAL");
    // NORMAL under WAL cannot corrupt the database; a power cut may lose the last commits only.
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db, path, migrations);
    return db;
  } catch (error) {
    db?.close();
    throw translateStorageError(error, path);
  }
}

/** Full `PRAGMA integrity_check`; an empty list means the database is healthy. */
export function integrityProblems(db: SqliteDb): string[] {
  const rows = db.pragma("integrity_check", { simple: false }) as { integrity_check: string }[];
  const messages = rows.map((row) => row.integrity_check);
  return messages.length === 1 && messages[0] === "ok" ? [] : messages;
}
