import { closeSync, existsSync, openSync } from "node:fs";
import { join, resolve } from "node:path";
import { CentralOutput } from "../cluster/central-output.js";
import { CENTRAL_TABLES_LOCK, CENTRAL_TABLES_SQL, OUTPUT_TABLE } from "../cluster/central-schema.js";
import { ApprovalRepository } from "./approvals.js";
import { AuditRepository } from "./audit.js";
import { ChatRepository } from "./chats.js";
import { ClusterJobRepository } from "./cluster-jobs.js";
import {
  type Db,
  integrityProblems,
  MIGRATIONS,
  type OpenVerification,
  openDatabase,
  type SqliteDb,
} from "./db.js";
import { CorruptOutputError, DiskFullError, isDiskFull, StateNotOpenError } from "./errors.js";
import { EventRepository } from "./events.js";
import { assertAgentName } from "./ids.js";
import {
  type FollowOutputOptions,
  type JobOutputLine,
  JobOutputStore,
  type OutputPage,
  type OutputPageOptions,
  type ReadOutputOptions,
} from "./job-output.js";
import { isTerminalStatus } from "./job-status.js";
import { JobRepository } from "./jobs.js";
import { acquireLock, type DaemonLock } from "./lock.js";
import { MemoryRepository } from "./memory.js";
import { makePrivateDir, PRIVATE_FILE, tightenState } from "./permissions.js";
import { PgDb } from "./pg/pg-db.js";
import { migratePg } from "./pg/schema.js";
import { SyncPgClient } from "./pg/sync-client.js";
import { RetentionRepository } from "./retention.js";
import { ScheduleFireRepository } from "./schedule-fires.js";
import { ScheduleRepository } from "./schedules.js";
import { SessionRepository } from "./sessions.js";
import { socketPathIn } from "./socket-path.js";
import { UsageRepository } from "./usage.js";
import { UsagePauseRepository } from "./usage-pauses.js";
import { WakeRepository } from "./wakes.js";

/** Where the state lives: SQLite in the state directory (the default), or a PostgreSQL database. */
export type StateBackend =
  | { readonly kind: "sqlite" }
  | {
      readonly kind: "postgres";
      /** postgres://user:password@host:port/database; a secret (never logged or shown). */
      readonly url: string;
    };

/** The fleet file's `state` key as the backend it names: SQLite unless it says postgres. */
export function stateBackendOf(store: { backend?: string; url?: string } | undefined): StateBackend {
  return store?.backend === "postgres" && store.url !== undefined
    ? { kind: "postgres", url: store.url }
    : { kind: "sqlite" };
}

export interface StateManagerOptions {
  /** Source of "now" for every timestamp and job id; tests pass a fake clock. */
  readonly clock?: () => Date;
  /** What to check when the database is opened; see OpenVerification. Default "quick". */
  readonly verify?: OpenVerification;
  /** Told, in one line, when open() had to make existing state private. */
  readonly notice?: (message: string) => void;
  /**
   * SQLite in the state directory unless told otherwise. Job output is written to files either
   * way; on PostgreSQL every line is also stored in the database for readers on other machines.
   */
  readonly backend?: StateBackend;
  /** Told when storing output in the database fails and when it works again (PostgreSQL only). */
  readonly warn?: (message: string) => void;
}

interface OpenState {
  readonly db: Db;
  readonly jobs: JobRepository;
  readonly sessions: SessionRepository;
  readonly memory: MemoryRepository;
  readonly approvals: ApprovalRepository;
  readonly schedules: ScheduleRepository;
  readonly events: EventRepository;
  readonly wakes: WakeRepository;
  readonly audit: AuditRepository;
  readonly retention: RetentionRepository;
  readonly chats: ChatRepository;
  readonly usage: UsageRepository;
  readonly usagePauses: UsagePauseRepository;
  /** PostgreSQL only (several daemons may plan one fire); undefined on SQLite. */
  readonly scheduleFires?: ScheduleFireRepository;
  /** PostgreSQL only: the workers' queue, as the state's own connection sees it. */
  readonly clusterJobs?: ClusterJobRepository;
}

/**
 * The `.herdctl/` directory: where each file lives, the SQLite database and its repositories, job
 * output files and the daemon lock. Everything that turns an id into a path goes through here, and
 * validates the id first.
 */
export class StateManager {
  readonly stateDir: string;
  private readonly clock: () => Date;
  private readonly verify: OpenVerification;
  private readonly notice: ((message: string) => void) | undefined;
  private readonly output: JobOutputStore;
  private state: OpenState | undefined;
  readonly backend: StateBackend;
  private readonly warn: ((message: string) => void) | undefined;
  /** PostgreSQL only: output lines (and transcripts) other machines read; see cluster/central-output.ts. */
  private centralOutput: CentralOutput | undefined;
  /** jobId → the number the next line appended in this process gets (central output's key). */
  private readonly nextLine = new Map<string, number>();

  constructor(stateDir: string, options: StateManagerOptions = {}) {
    this.stateDir = resolve(stateDir);
    this.backend = options.backend ?? { kind: "sqlite" };
    this.clock = options.clock ?? (() => new Date());
    this.verify = options.verify ?? "quick";
    this.notice = options.notice;
    this.warn = options.warn;
    this.output = new JobOutputStore(this.jobsDir);
  }

  get dbPath(): string {
    return join(this.stateDir, "herdctl.db");
  }

  get jobsDir(): string {
    return join(this.stateDir, "jobs");
  }

  /** Claude transcripts of containerised agents, one subdirectory per agent. */
  get dockerSessionsDir(): string {
    return join(this.stateDir, "docker-sessions");
  }

  get socketPath(): string {
    return socketPathIn(this.stateDir);
  }

  get lockPath(): string {
    return join(this.stateDir, "herdctl.lock");
  }

  get isOpen(): boolean {
    return this.state !== undefined;
  }

  /** `docker-sessions/<agent>`, mounted into the agent's container. Not created here. */
  agentDockerSessionsDir(agent: string): string {
    return join(this.dockerSessionsDir, assertAgentName(agent));
  }

  jobOutputPath(jobId: string): string {
    return this.output.pathFor(jobId);
  }

  /** Creates the directories and opens (or creates and migrates) the database. Idempotent. */
  open(): void {
    if (this.state !== undefined) return;
    for (const dir of [this.stateDir, this.jobsDir, this.dockerSessionsDir]) makePrivateDir(dir);
    const tightened = tightenState(this.stateDir, {
      jobs: this.jobsDir,
      dockerSessions: this.dockerSessionsDir,
    });
    if (tightened) this.notice?.(tightened);
    // SQLite gives -wal and -shm the database file's mode, so a private database keeps them private.
    try {
      closeSync(openSync(this.dbPath, "a", PRIVATE_FILE));
    } catch (error) {
      throw isDiskFull(error) ? new DiskFullError(this.dbPath, { cause: error }) : error;
    }
    if (this.backend.kind === "postgres") {
      this.state = this.openPostgres(this.backend);
      return;
    }
    this.state = this.repositories(openDatabase(this.dbPath, MIGRATIONS, this.verify), this.dbPath);
  }

  private openPostgres(backend: Extract<StateBackend, { kind: "postgres" }>): OpenState {
    const client = new SyncPgClient(backend.url);
    try {
      migratePg(client);
    } catch (error) {
      client.close();
      throw error;
    }
    try {
      // The central output and transcript tables (outside the versioned migrations, see
      // cluster/central-schema.ts); every reader of them may be the first process on the database.
      client.transaction(() => {
        client.query("SELECT pg_advisory_xact_lock(hashtext(?))", [CENTRAL_TABLES_LOCK]);
        client.exec(CENTRAL_TABLES_SQL);
      });
    } catch (error) {
      client.close();
      throw error;
    }
    this.centralOutput = new CentralOutput({ url: backend.url, warn: this.warn });
    const db = new PgDb(client);
    return {
      ...this.repositories(db, client.server),
      scheduleFires: new ScheduleFireRepository(db, client.server),
      clusterJobs: new ClusterJobRepository(db, client.server, client),
    };
  }

  /** `where` names the database in errors: the SQLite file, or the server without its password. */
  private repositories(db: Db, where: string): OpenState {
    return {
      db,
      jobs: new JobRepository(db, where, this.clock, (id) => this.output.wakeFollowers(id)),
      sessions: new SessionRepository(db, where, this.clock),
      memory: new MemoryRepository(db, where, this.clock),
      approvals: new ApprovalRepository(db, where, this.clock),
      schedules: new ScheduleRepository(db, where),
      events: new EventRepository(db, where, this.clock),
      wakes: new WakeRepository(db, where, this.clock),
      audit: new AuditRepository(db, where, this.clock),
      retention: new RetentionRepository(db, where),
      chats: new ChatRepository(db, where),
      usage: new UsageRepository(db, where),
      usagePauses: new UsagePauseRepository(db, where),
    };
  }

  get jobs(): JobRepository {
    return this.opened().jobs;
  }

  get sessions(): SessionRepository {
    return this.opened().sessions;
  }

  get memory(): MemoryRepository {
    return this.opened().memory;
  }

  get approvals(): ApprovalRepository {
    return this.opened().approvals;
  }

  get schedules(): ScheduleRepository {
    return this.opened().schedules;
  }

  get events(): EventRepository {
    return this.opened().events;
  }

  get wakes(): WakeRepository {
    return this.opened().wakes;
  }

  get audit(): AuditRepository {
    return this.opened().audit;
  }

  get retention(): RetentionRepository {
    return this.opened().retention;
  }

  get usagePauses(): UsagePauseRepository {
    return this.opened().usagePauses;
  }

  get chats(): ChatRepository {
    return this.opened().chats;
  }

  /** The workers' queue and registry; undefined on SQLite, where one daemon runs every job. */
  get clusterJobs(): ClusterJobRepository | undefined {
    return this.opened().clusterJobs;
  }

  /** Fire keys of schedules; undefined on SQLite, where one daemon owns the state. */
  get scheduleFires(): ScheduleFireRepository | undefined {
    return this.opened().scheduleFires;
  }

  get usage(): UsageRepository {
    return this.opened().usage;
  }

  /**
   * Runs `fn` in one transaction: all of its writes land, or none. IMMEDIATE, so a read-then-write
   * cannot fail half-way because another process wrote in between.
   */
  transaction<T>(fn: () => T): T {
    return this.opened().db.transaction(fn).immediate();
  }

  /** Full SQLite integrity check; an empty list means healthy. PostgreSQL checks its own pages. */
  integrityCheck(): string[] {
    const { db } = this.opened();
    return db.dialect === "postgres" ? [] : integrityProblems(db as SqliteDb);
  }

  /** Takes `herdctl.lock` for the daemon (creating the state directory if needed). */
  acquireLock(pid: number = process.pid): DaemonLock {
    makePrivateDir(this.stateDir);
    return acquireLock(this.lockPath, pid);
  }

  /**
   * PostgreSQL only: the database side of job output and sessions, on connections of its own
   * (async; never through the synchronous facade). Undefined on SQLite.
   */
  get central(): CentralOutput | undefined {
    this.opened();
    return this.centralOutput;
  }

  appendJobOutput(jobId: string, message: unknown): void {
    const central = this.centralOutput;
    // Counted before the append, once per job in this process: the file's lines so far.
    const line = central ? (this.nextLine.get(jobId) ?? this.output.lineCount(jobId)) : 0;
    this.output.append(jobId, message);
    if (!central) return;
    this.nextLine.set(jobId, line + 1);
    central.push(jobId, line, JSON.stringify(message));
  }

  /**
   * Waits (bounded) until the job's lines appended here are in the database, so a reader on another
   * machine that sees the job end finds them all; then forgets the job's line count. SQLite: no-op.
   */
  async jobOutputStored(jobId: string): Promise<void> {
    const central = this.centralOutput;
    if (!central) return;
    await central.flushed();
    this.nextLine.delete(jobId);
  }

  /**
   * Where a job's output is read from: its local file when this machine has one (it ran the job,
   * or its output predates central output or came over from SQLite), else the database.
   */
  private readsCentral(jobId: string): boolean {
    return this.centralOutput !== undefined && !existsSync(this.output.pathFor(jobId));
  }

  /** Stored lines through the facade (short reads: a page, a count), for the synchronous readers. */
  private centralRows(jobId: string, fromLine: number, limit: number): { line: number; json: string }[] {
    return this.opened()
      .db.prepare(
        `SELECT line, json FROM ${OUTPUT_TABLE} WHERE job_id = ? AND line >= ? ORDER BY line LIMIT ?`,
      )
      .all(jobId, fromLine, limit) as { line: number; json: string }[];
  }

  private *centralLines(jobId: string, fromLine: number): Generator<JobOutputLine> {
    let next = fromLine;
    for (;;) {
      const rows = this.centralRows(jobId, next, 1_000);
      for (const row of rows) {
        if (row.line !== next) return;
        yield { line: row.line, message: parseStored(jobId, row.line, row.json) };
        next++;
      }
      if (rows.length < 1_000) return;
    }
  }

  readJobOutput(jobId: string, options: ReadOutputOptions = {}): JobOutputLine[] {
    if (this.readsCentral(jobId)) return [...this.centralLines(jobId, options.fromLine ?? 0)];
    return this.output.read(jobId, options);
  }

  /** A job's output one line at a time, with memory bounded by the longest line. */
  jobOutputLines(jobId: string, options: ReadOutputOptions = {}): Generator<JobOutputLine> {
    this.jobs.require(jobId);
    if (this.readsCentral(jobId)) return this.centralLines(jobId, options.fromLine ?? 0);
    return this.output.lines(jobId, options);
  }

  jobOutputLineCount(jobId: string): number {
    this.jobs.require(jobId);
    if (this.readsCentral(jobId)) {
      const row = this.opened()
        .db.prepare(`SELECT count(*) AS n FROM ${OUTPUT_TABLE} WHERE job_id = ?`)
        .get(jobId) as { n: number | string };
      return Number(row.n);
    }
    return this.output.lineCount(jobId);
  }

  /** One bounded page of a job's output (see JobOutputStore.page). */
  readJobOutputPage(jobId: string, options: OutputPageOptions): OutputPage {
    this.jobs.require(jobId);
    if (!this.readsCentral(jobId)) return this.output.page(jobId, options);
    const rows = this.centralRows(jobId, options.fromLine ?? 0, options.limit + 1);
    const lines: { line: number; json: string }[] = [];
    let bytes = 0;
    for (const row of rows) {
      const full = lines.length >= options.limit || bytes + row.json.length > options.maxBytes;
      if (full && lines.length > 0) return { lines, nextLine: row.line };
      if (row.line !== (options.fromLine ?? 0) + lines.length) break;
      parseStored(jobId, row.line, row.json);
      lines.push(row);
      bytes += Buffer.byteLength(row.json) + 1;
    }
    return { lines, nextLine: null };
  }

  /**
   * Follows a job's output as it is written, ending once the job has reached a final status and
   * its last lines are read, when `signal` aborts, or when the store is closed.
   */
  followJobOutput(
    jobId: string,
    options: Omit<FollowOutputOptions, "isDone"> = {},
  ): AsyncGenerator<JobOutputLine> {
    this.jobs.require(jobId);
    const isDone = () => this.state === undefined || isTerminalStatus(this.state.jobs.require(jobId).status);
    const central = this.centralOutput;
    if (!central) return this.output.follow(jobId, { ...options, isDone });
    return this.followCentral(central, jobId, options, isDone);
  }

  /**
   * From the database; once the job's output shows up in a local file (the job runs here), from
   * there, where this process is woken at each line.
   */
  private async *followCentral(
    central: CentralOutput,
    jobId: string,
    options: Omit<FollowOutputOptions, "isDone">,
    isDone: () => boolean,
  ): AsyncGenerator<JobOutputLine> {
    const localFile = () => existsSync(this.output.pathFor(jobId));
    let next = options.fromLine ?? 0;
    for await (const stored of central.follow(jobId, {
      fromLine: next,
      signal: options.signal,
      isDone,
      leaveWhen: localFile,
    })) {
      yield { line: stored.line, message: parseStored(jobId, stored.line, stored.json) };
      next = stored.line + 1;
    }
    if (options.signal?.aborted || !localFile()) return;
    yield* this.output.follow(jobId, { ...options, fromLine: next, isDone });
  }

  /** Closes the database. Idempotent. Lines still queued for the database are stored first (bounded). */
  close(): void {
    const state = this.state;
    if (state === undefined) return;
    this.state = undefined;
    void this.centralOutput?.close();
    this.centralOutput = undefined;
    try {
      // Keeps query plans good as the tables grow; cheap when there is nothing to do.
      if (state.db.dialect !== "postgres") state.db.pragma("optimize");
    } catch {}
    state.db.close();
  }

  private opened(): OpenState {
    if (this.state === undefined) throw new StateNotOpenError(this.stateDir);
    return this.state;
  }
}

/** A stored line's message; a line that is not JSON names the job and line, as a corrupt file does. */
function parseStored(jobId: string, line: number, json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    throw new CorruptOutputError(`${OUTPUT_TABLE} (job ${jobId})`, line);
  }
}
