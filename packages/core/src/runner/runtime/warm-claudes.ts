import { randomUUID } from "node:crypto";
import { HostLauncher, type LaunchedProcess, type Launcher, type LaunchOptions } from "./launcher.js";
import { terminate } from "./terminate.js";
import { makeRoom, WarmDemand } from "./warm-demand.js";
import { workspaceStamp } from "./workspace-stamp.js";

/** How many warm claudes a fleet keeps, and how long one waits unused before it is ended. */
export interface WarmClaudesOptions {
  max: number;
  idleMs: number;
}

export const DEFAULT_WARM_CLAUDES: WarmClaudesOptions = { max: 4, idleMs: 10 * 60_000 };

/** How a job's claude was started, kept so the agent's next fresh job can find it already running. */
export interface SpawnSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /**
   * A fresh session's id, replaced by a new one in the warm process; undefined when the job
   * resumed a session, which the agent's next job is expected to continue (the same argv).
   */
  sessionId: string | undefined;
}

interface Warm {
  agent: string;
  sessionId: string | undefined;
  /** The spec with the warm session id: a job's claude must match it exactly to take the process. */
  key: string;
  stamp: string;
  proc: LaunchedProcess;
  timer: NodeJS.Timeout;
}

/**
 * claude processes started ahead of an agent's next job (a fresh session, or the session the last
 * job continued, continued again), so the ~0.5–0.8 s claude
 * spends starting up before its first API request is spent while nobody waits. A warm process is
 * started only after an agent's job ends with no other job of that agent running or queued (so it
 * reads the workspace as that job left it), only for agents a person or webhook triggered within
 * `idleMs`, at most `max` at once. A job takes it only when the claude it would start is exactly
 * the warm one (command, argv, directory, environment, workspace settings files): a reload, a new
 * memory note or an edited settings file means a cold start, never a stale process.
 */
export class WarmClaudes {
  private readonly warm = new Map<string, Warm>();
  private readonly specs = new Map<string, SpawnSpec>();
  private readonly demand: WarmDemand;
  private readonly host = new HostLauncher();
  private closed = false;

  constructor(
    private readonly options: WarmClaudesOptions = DEFAULT_WARM_CLAUDES,
    now: () => number = Date.now,
  ) {
    this.demand = new WarmDemand(options.idleMs, now);
  }

  /**
   * Takes the agent's warm process out of the pool for a job about to start. The job must start
   * claude through `claim.launcher` and call `claim.release()` when it ends.
   */
  claim(agent: string): WarmClaim {
    const warm = this.warm.get(agent);
    if (warm) {
      this.warm.delete(agent);
      clearTimeout(warm.timer);
    }
    return new WarmClaim(this, agent, warm);
  }

  /** Ends the agent's warm process without starting another: a job that cannot use it is starting. */
  discard(agent: string): void {
    this.claim(agent).release();
  }

  /** Forgets what the agent's jobs looked like: its config changed, so the next job starts cold. */
  forget(agent: string): void {
    this.specs.delete(agent);
    this.discard(agent);
  }

  /** Called with each trigger: demand is what makes an agent worth keeping warm. */
  triggered(agent: string, triggerType: string): void {
    this.demand.triggered(agent, triggerType);
  }

  /** The agent has no job running or queued: warm its next claude if it was asked for recently. */
  idle(agent: string): void {
    if (this.closed || this.warm.has(agent)) return;
    const spec = this.specs.get(agent);
    if (!spec || !this.demand.recent(agent)) return;
    this.start(agent, spec);
  }

  /**
   * Starts the agent's next claude from `spec` now (a fresh session gets a new id). The CLI's
   * in-process trigger starts one from its launch cache before it reads the fleet; as with any warm
   * process, the job takes it only when its own claude would be exactly this one.
   */
  start(agent: string, spec: SpawnSpec): void {
    if (this.closed || this.warm.has(agent)) return;
    const started = startAhead(spec, this.host);
    if (started) this.adopt(agent, started);
  }

  /**
   * Keeps a claude started ahead outside the pool (the CLI's first file starts one from the launch
   * cache before the rest of herdctl has loaded) as the agent's warm process; ends it when the
   * pool cannot keep it.
   */
  adopt(agent: string, started: StartedAhead): void {
    if (this.closed || this.warm.has(agent)) {
      started.proc.stdin.end();
      void terminate(started.proc);
      return;
    }
    makeRoom(this.warm, this.options.max, (oldest) => this.discard(oldest));
    const { proc, spec, args } = started;
    proc.once("error", () => this.drop(agent, proc));
    proc.once("exit", () => this.drop(agent, proc));
    const timer = setTimeout(() => this.discard(agent), this.options.idleMs);
    timer.unref();
    this.warm.set(agent, {
      agent,
      sessionId: started.sessionId,
      key: specKey(spec.command, args, spec.cwd, spec.env),
      stamp: started.stamp,
      proc,
      timer,
    });
  }

  /** How the agent's last job started claude, if it can be started again that way (see `start`). */
  spec(agent: string): SpawnSpec | undefined {
    return this.specs.get(agent);
  }

  /** Pids of the warm processes, for status and for tests that check none is left behind. */
  pids(): number[] {
    return [...this.warm.values()].flatMap((w) => (w.proc.pid === undefined ? [] : [w.proc.pid]));
  }

  /** Ends every warm process and starts no more; resolves once they are gone. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.warm.values()];
    this.warm.clear();
    await Promise.all(all.map((w) => end(w)));
  }

  /** @internal WarmClaim's spawn: the warm process when the job's claude is the same one, else a cold start. */
  spawnFor(
    agent: string,
    warm: Warm | undefined,
    command: string,
    args: readonly string[],
    options: LaunchOptions,
  ): LaunchedProcess {
    const usable =
      warm !== undefined &&
      warm.proc.exitCode === null &&
      !warm.proc.killed &&
      warm.key === specKey(command, args, options.cwd, options.env) &&
      warm.stamp === workspaceStamp(options.cwd, options.env);
    if (warm && !usable) void end(warm);
    const resumes = args.some((arg) => arg.startsWith("--resume"));
    const sessionId = resumes ? undefined : sessionIdIn(args);
    // A fork's argv names a session only that job could start from: nothing to predict.
    if ((resumes || sessionId) && !args.includes("--fork-session"))
      this.specs.set(agent, { command, args: [...args], cwd: options.cwd, env: options.env, sessionId });
    else this.specs.delete(agent);
    return usable ? warm.proc : this.host.spawn(command, args, options);
  }

  private drop(agent: string, proc: LaunchedProcess): void {
    const warm = this.warm.get(agent);
    if (warm?.proc !== proc) return;
    clearTimeout(warm.timer);
    this.warm.delete(agent);
  }
}

/** One job's hold on its agent's warm process (if there was one): a Launcher that may hand it over. */
export class WarmClaim {
  readonly launcher: Launcher;

  constructor(
    pool: WarmClaudes,
    agent: string,
    private warm: Warm | undefined,
  ) {
    this.launcher = {
      // A warm claude reads its prompt as a stream-json message; cold starts do the same, so both match.
      streamsInput: true,
      mapPath: (hostPath) => hostPath,
      spawn: (command, args, options) => {
        const proc = pool.spawnFor(agent, this.warm, command, args, options);
        this.warm = undefined;
        return proc;
      },
    };
  }

  /** The fresh session id the warm process was started with: a fresh job must use it to take the process. */
  get sessionId(): string | undefined {
    return this.warm?.sessionId;
  }

  /** Ends the warm process if the job never started claude. */
  release(): void {
    if (this.warm) void end(this.warm);
    this.warm = undefined;
  }
}

/** A launch option no warm process needs: it is ended through the pool, not a job's signal. */
const NEVER = new AbortController().signal;

/** A claude started from a spawn spec ahead of the job that may take it (see WarmClaudes.adopt). */
export interface StartedAhead {
  spec: SpawnSpec;
  /** The spec's argv with the fresh session id replaced by this process's own. */
  args: readonly string[];
  sessionId: string | undefined;
  /** The workspace's settings and instruction files as claude read them at its start. */
  stamp: string;
  proc: LaunchedProcess;
}

/** Starts claude from `spec` (a fresh session gets a new id); undefined when it cannot be spawned. */
export function startAhead(spec: SpawnSpec, host: Launcher = new HostLauncher()): StartedAhead | undefined {
  const fresh = spec.sessionId;
  const sessionId = fresh === undefined ? undefined : randomUUID();
  const args = spec.args.map((arg) => (fresh && sessionId ? arg.replaceAll(fresh, sessionId) : arg));
  const stamp = workspaceStamp(spec.cwd, spec.env);
  try {
    const proc = host.spawn(spec.command, args, { cwd: spec.cwd, env: spec.env, signal: NEVER });
    return { spec, args, sessionId, stamp, proc };
  } catch {
    return undefined;
  }
}

function specKey(command: string, args: readonly string[], cwd: string, env: Record<string, string>): string {
  const sortedEnv = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([command, args, cwd, sortedEnv]);
}

/** The `--session-id` value in a claude argv (`--session-id=<id>` or `--session-id <id>`). */
function sessionIdIn(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("--session-id=")) return arg.slice("--session-id=".length);
    if (arg === "--session-id") return args[i + 1];
  }
  return undefined;
}

function end(warm: Warm): Promise<void> {
  clearTimeout(warm.timer);
  warm.proc.stdin.end();
  return terminate(warm.proc);
}
