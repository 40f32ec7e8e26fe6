import type { StartedAhead } from "@herdctl/core/internal/runner/runtime/warm-claudes";
import type { LaunchRequest } from "./launch-cache.js";

/**
 * A claude the CLI's first file (herdctl.cjs, through early.cjs) started from the launch cache
 * before the program loaded, handed to the trigger that loads after it. The two are separate
 * bundles, so it is kept on the global object under a registered symbol.
 */
export interface EarlyClaude {
  agent: string;
  request: LaunchRequest;
  stateDir: string;
  configPath: string;
  started: StartedAhead;
  taken: boolean;
}

const KEY = Symbol.for("herdctl.early-claude");
type Holder = { [KEY]?: EarlyClaude };

/** Keeps `early` for the trigger, and ends it when this process exits without the trigger taking it. */
export function keepEarly(early: Omit<EarlyClaude, "taken">): void {
  const kept: EarlyClaude = { ...early, taken: false };
  (globalThis as Holder)[KEY] = kept;
  process.once("exit", () => {
    if (!kept.taken) endNow(kept);
  });
}

/**
 * The early claude, when it was started for exactly this trigger: the same state directory, fleet
 * file, agent and session request as commander read from the command line. Any other is ended.
 */
export function takeEarly(
  stateDir: string,
  configPath: string,
  agent: string,
  request: LaunchRequest,
): StartedAhead | undefined {
  const early = (globalThis as Holder)[KEY];
  if (!early || early.taken) return undefined;
  early.taken = true;
  const same =
    early.stateDir === stateDir &&
    early.configPath === configPath &&
    early.agent === agent &&
    Boolean(early.request.fresh) === Boolean(request.fresh) &&
    early.request.resume === request.resume &&
    early.request.schedule === request.schedule;
  if (same) return early.started;
  endNow(early);
  return undefined;
}

/** Ends the early claude, if any: the trigger goes through a daemon, or starts none. */
export function discardEarly(): void {
  const early = (globalThis as Holder)[KEY];
  if (!early || early.taken) return;
  early.taken = true;
  endNow(early);
}

/** Synchronous, so that it also works in an exit handler: the whole process group, at once. */
function endNow(early: EarlyClaude): void {
  const { proc } = early.started;
  try {
    if (proc.pid !== undefined) process.kill(-proc.pid, "SIGKILL");
  } catch {
    proc.kill("SIGKILL");
  }
}
