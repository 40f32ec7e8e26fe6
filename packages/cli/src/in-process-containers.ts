import {
  ContainerManager,
  type ContainerSpec,
} from "@herdctl/core/internal/runner/runtime/container-manager";
import { WarmContainers } from "@herdctl/core/internal/runner/runtime/warm-containers";
import type { CommandContext } from "./context.js";
import type { StartedContainer } from "./early-container.js";
import type { ContainerLaunch } from "./launch-cache.js";

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
  /** Whether the CLI's first file started it, before the program loaded (early-container.ts). */
  early = false;

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

  /** Keeps the container the CLI's first file is creating ahead (early-container.ts) for the job. */
  adoptEarly(early: StartedContainer): void {
    this.early = true;
    this.ahead = this.warm.adoptAhead(early.agent, early.body, early.stamp, early.creation);
  }

  /** What the agent's job ran in, as the launch cache keeps it: its spec and the create request. */
  lastLaunch(agent: string): ContainerLaunch | undefined {
    const last = this.warm.last(agent);
    return last && { spec: last.spec, body: this.manager.createRequest(last.spec, last.hash, true).body };
  }

  /** Removes a container started ahead that no job took (through the helper), once it is made. */
  close(): Promise<void> {
    return this.warm.close();
  }
}
