import { join } from "node:path";
import { mayRunHostCommands } from "../config/host-commands.js";
import type { ResolvedAgent } from "../config/index.js";
import { CONTAINER_WORKSPACE } from "../docker/runtime-image.js";
import type { HookSpec, ShellPlacement } from "../hooks/index.js";
import { sharedCredentialProxy } from "../proxy/credential-proxy.js";
import { reachesProxyBySocket } from "../proxy/forwarder.js";
import { ContainerLauncher } from "./runtime/container-launcher.js";
import { ContainerManager } from "./runtime/container-manager.js";
import { resolveDockerConfig } from "./runtime/docker-config.js";
import type { ContainerRunnerDependencies } from "./runtime/factory.js";
import type { ConfigGuard } from "./runtime/host-guard.js";

export interface HookSandboxOptions {
  jobId: string;
  guard: ConfigGuard;
  containers?: ContainerRunnerDependencies;
  warn?: (message: string) => void;
}

/**
 * Decides where a shell hook from an agent file runs, so it never has more privilege than the
 * agent: a Docker agent's runs in a container made from the agent's own Docker settings (the
 * workspace mounted, the fleet's files read-only, no credentials); a host agent's runs on the host
 * only when the agent may already run any command there; otherwise it is refused.
 */
export class HookSandbox {
  private container?: Promise<{ id: string; launcher: ContainerLauncher; ephemeral: boolean }>;
  private readonly manager: ContainerManager | undefined;

  constructor(
    private readonly agent: ResolvedAgent,
    private readonly options: HookSandboxOptions,
  ) {
    this.manager = agent.docker?.enabled
      ? (options.containers?.manager ?? new ContainerManager())
      : undefined;
  }

  readonly place = async (_hook: HookSpec): Promise<ShellPlacement> => {
    if (this.manager) return { launcher: (await this.ensureContainer(this.manager)).launcher };
    if (mayRunHostCommands(this.agent)) return {};
    return {
      refused:
        `it is declared in the agent file ${this.agent.configPath}, and agent ${this.agent.name} may not run commands ` +
        "on the host itself; move the hook to the fleet file (agents[].overrides.hooks or defaults.hooks) " +
        "or run the agent in Docker",
    };
  };

  /** A launcher into the agent's container (created as its jobs' would be); Docker agents only. */
  async containerLauncher(): Promise<ContainerLauncher> {
    if (!this.manager) throw new Error(`agent ${this.agent.name} does not run in Docker`);
    return (await this.ensureContainer(this.manager)).launcher;
  }

  private ensureContainer(manager: ContainerManager) {
    this.container ??= (async () => {
      const { agent, options } = this;
      const config = resolveDockerConfig(agent.docker!, undefined, {
        workingDirectory: agent.working_directory,
        warn: options.warn,
      });
      // The same container the agent's jobs get, so a persistent one is shared rather than
      // replaced: its forwarder needs the proxy's socket. Hooks themselves are given no token.
      const proxy = reachesProxyBySocket(config)
        ? (options.containers?.proxy ?? (await sharedCredentialProxy(options.guard.stateDir)))
        : undefined;
      await proxy?.start();
      const ensured = await manager.ensureContainer({
        fleet: options.containers?.fleet ?? agent.fleetName,
        agent: agent.name,
        jobId: options.jobId,
        config,
        workingDirectory: agent.working_directory,
        claudeConfigDir: join(options.guard.stateDir, "docker-sessions", agent.name),
        guard: options.guard,
        proxySocketDir: proxy?.socketDir,
      });
      const launcher = new ContainerLauncher(
        manager,
        ensured.id,
        agent.working_directory,
        CONTAINER_WORKSPACE,
      );
      return { id: ensured.id, launcher, ephemeral: config.ephemeral };
    })();
    return this.container;
  }

  /** Removes the hook container, if one was made and is not the agent's persistent one. */
  async release(): Promise<void> {
    const made = await this.container?.catch(() => undefined);
    if (made?.ephemeral) await this.manager?.removeContainer(made.id);
  }
}
