import { WarmClaudes } from "@herdctl/core/internal/runner/runtime/warm-claudes";
import { discardEarly, takeEarly } from "./early-claude.js";
import { cachedLaunch, type LaunchRequest } from "./launch-cache.js";

/** What the trigger asked for that decides which claude its job will start. */
export interface SpeculationRequest extends LaunchRequest {
  fork?: string;
  offline?: boolean;
}

/**
 * An in-process trigger's claude, started before the fleet is read and the state opened (which
 * is what a trigger without a daemon spends most of its own time on), from the launch cache
 * (launch-cache.ts). The job runs through this pool whether or not a process was started: it takes
 * the process only when its own claude, computed from the parsed fleet, is exactly the one
 * started (warm-claudes.ts); otherwise the process is ended and the job starts cold. Each job's
 * claude is recorded in the pool, from where the trigger writes the cache for next time.
 */
export class SpeculativeClaude {
  readonly pool = new WarmClaudes({ max: 1, idleMs: 10 * 60_000 });
  /** This process's environment as it started, before any module added to it: what the cache is relative to. */
  readonly baseEnv: NodeJS.ProcessEnv = { ...process.env };
  /** The pid of the claude started ahead, if one was. */
  readonly pid: number | undefined;
  /** Whether it was started by the CLI's first file, before this program loaded (early-start.ts). */
  readonly early: boolean = false;

  constructor(stateDir: string, configPath: string, agent: string, request: SpeculationRequest) {
    this.pid = undefined;
    // A fork's new session id is chosen by its job, so no claude started before can be it; offline
    // jobs get a stand-in on a new port each time.
    if (request.fork || request.offline) {
      discardEarly();
      return;
    }
    // Started by the CLI's first file before this program loaded, when it read the same trigger.
    const early = takeEarly(stateDir, configPath, agent, request);
    if (early) {
      this.pool.adopt(agent, early);
      this.early = true;
    } else {
      const spec = cachedLaunch(stateDir, configPath, agent, request);
      if (!spec) return;
      this.pool.start(agent, spec);
    }
    this.pid = this.pool.pids()[0];
  }

  /** Ends the process if the job did not take it. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
