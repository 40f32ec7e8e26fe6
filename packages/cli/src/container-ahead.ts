import type { CommandContext } from "./context.js";
import { takeEarlyContainer } from "./early-container.js";
import type { InProcessContainers } from "./in-process-containers.js";
import { cachedContainer } from "./launch-cache.js";

/**
 * A Docker agent's next ephemeral container, created and started from the launch cache before the
 * trigger reads the fleet (what `docker run` would not make it wait for: ~0.3 s of loading,
 * parsing and engine checks before the create). Undefined, with nothing loaded, when the cache
 * holds no container for the agent. The job takes it only when the container it computes from
 * the fleet is the same (in-process-containers.ts); otherwise it is removed unused.
 */
export async function containerAhead(
  ctx: CommandContext,
  agent: string,
): Promise<InProcessContainers | undefined> {
  const stateDir = ctx.stateDir();
  const configPath = ctx.configPath();
  // Started by the CLI's first file before this program loaded, when it read the same trigger.
  const early = takeEarlyContainer(stateDir, configPath, agent);
  const launch = early ? undefined : cachedContainer(stateDir, configPath, agent);
  if (!early && !launch) return undefined;
  const { InProcessContainers } = await import("./in-process-containers.js");
  const containers = new InProcessContainers(ctx);
  if (early) containers.adoptEarly(early);
  else if (launch) containers.startAhead(launch.spec);
  return containers;
}
