import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { findConfigFile, resolveConfigPath } from "@herdctl/core/internal/config/discover";
import { startAhead } from "@herdctl/core/internal/runner/runtime/warm-claudes";
import { socketPathIn } from "@herdctl/core/internal/state/socket-path";
import { keepEarly } from "./early-claude.js";
import { startContainerEarly } from "./early-container.js";
import { cachedLaunch } from "./launch-cache.js";
import { parseTriggerLine } from "./trigger-args.js";

/**
 * For `herdctl trigger <agent>` with no daemon running: starts the agent's claude (or a Docker
 * agent's container, early-container.ts) from the launch cache (launch-cache.ts) as the first thing
 * the CLI does, before the ES module program loads
 * (~0.1 s: commander, the command definitions, the trigger's chunks), so that claude's own
 * start-up overlaps all of it. The entry of a CommonJS bundle of its own, dist/early.cjs, which
 * herdctl.cjs loads only for a trigger. The trigger takes the process (speculative-claude.ts) only
 * when it was started for the same fleet, agent and session request, and its job only when its own
 * claude is exactly this one (warm-claudes.ts); otherwise it is ended unused, at the latest when
 * this process exits. Nothing here may fail the command: any doubt means no head start.
 * "daemon" when the fleet's daemon socket is there: nothing is started, the daemon runs the job.
 */
export function startEarly(args: readonly string[]): "daemon" | undefined {
  const call = parseTriggerLine(args);
  if (!call) return undefined;
  const cwd = process.cwd();
  const configPath = call.globals.config
    ? resolveConfigPath(resolve(cwd, call.globals.config))
    : findConfigFile(cwd);
  if (!configPath) return undefined;
  const stateDir = call.globals.state
    ? resolve(cwd, call.globals.state)
    : join(dirname(configPath), ".herdctl");
  // A daemon runs the job: no claude of this process's own (herdctl.cjs hands it the trigger).
  if (existsSync(socketPathIn(stateDir))) return "daemon";
  // A Docker agent's container (its claude is started by the job, in it).
  startContainerEarly(stateDir, configPath, call.agent);
  // A fork's session is chosen by its job and an offline stand-in's address is new each run.
  if (call.request.fork || call.request.offline) return undefined;
  const spec = cachedLaunch(stateDir, configPath, call.agent, call.request);
  const started = spec && startAhead(spec);
  if (started) keepEarly({ agent: call.agent, request: call.request, stateDir, configPath, started });
  return undefined;
}
