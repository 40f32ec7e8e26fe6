import {
  ContainerManager,
  type ContainerSpec,
} from "@herdctl/core/internal/runner/runtime/container-manager";
import { WarmContainers } from "@herdctl/core/internal/runner/runtime/warm-containers";
import type { CommandContext } from "./context.js";

/** Long enough for any trigger: the pool lives only as long as this process. */
const AHEAD_IDLE_MS = 10 * 60_000;

/**
 * The containers of an in-process trigger's Docker job. Its used ephemeral container is removed
 * by a helper process (the engine takes ~0.2 s to kill and remove it), so the trigger reports the
 * job's end and exits without waiting for it, as the daemon does. A one-place warm pool holds the
 * container started ahead from the launch cache (container-ahead.ts), which the job takes only when
 * the container it would create has the same hash and folders (as a daemon's warm container), and
 * remembers the job's spec for the next trigger's cache.
 */
export class InProcessContainers {
  readonly manager: ContainerManager;
  readonly warm: WarmContainers;
  /** The container started ahead: its id once made, undefined when none was. */
  ahead: Promise<string | undefined> | undefined;

  constructor(ctx: CommandContext) {
    this.manager = new ContainerManager(undefined, {
      removeInHelper: true,
      onHandedOff: (id) => {
        if (ctx.options.verbose)
          ctx.stderr.write(ctx.err.dim(`· container ${id.slice(0, 12)} is removed by a helper process\n`));
      },
    });
    this.warm = new WarmContainers(this.manager, { max: 1, idleMs: AHEAD_IDLE_MS });
    this.manager.warm = this.warm;
  }

  /** Creates and starts the agent's container from `spec` now, while the trigger reads the fleet. */
  startAhead(spec: ContainerSpec): void {
    this.ahead = this.warm.startAhead(spec);
  }

  /** What the agent's job ran in, for the launch cache. */
  lastSpec(agent: string): ContainerSpec | undefined {
    return this.warm.lastSpec(agent);
  }

  /** Removes a container started ahead that no job took (through the helper), once it is made. */
  close(): Promise<void> {
    return this.warm.close();
  }
}
