import { join } from "node:path";
import { CONTAINER_WORKSPACE } from "../../docker/runtime-image.js";
import { type CredentialProxy, type JobGrant, sharedCredentialProxy } from "../../proxy/credential-proxy.js";
import { parseEgressRules } from "../../proxy/egress-allowlist.js";
import { EgressLog } from "../../proxy/egress-log.js";
import { CONTAINER_PROXY_URL, egressProxyEnv, reachesProxyBySocket } from "../../proxy/forwarder.js";
import { CREDENTIAL_ENV_NAMES } from "../../secrets/redactor.js";
import { assertAgentName } from "../../state/ids.js";
import {
  agentWithEnv,
  type ContainerEnvLayers,
  proxiedCredentialSource,
  withoutCredentials,
} from "./container-credentials.js";
import { ContainerLauncher } from "./container-launcher.js";
import { ContainerManager } from "./container-manager.js";
import type { DockerConfig } from "./docker-config.js";
import { RuntimeError } from "./errors.js";
import type {
  ConversationOptions,
  LiveConversation,
  RuntimeExecuteOptions,
  RuntimeInterface,
  RuntimeMessage,
} from "./interface.js";
import { pluginMounts, withContainerPlugins } from "./plugin-mounts.js";

/** Where the runtime image installs claude. */
export const CONTAINER_CLAUDE_PATH = "/usr/local/bin/claude";

/** Host variables a containerised claude still needs: how to reach the model, and as whom. */
const FORWARDED_ENV = /^(ANTHROPIC_|CLAUDE_CODE_|DISABLE_|HTTPS?_PROXY$|NO_PROXY$)/;

export interface ContainerRunnerDependencies {
  /** Shared across a fleet so container bookkeeping (locks, limits) is in one place. */
  manager?: ContainerManager;
  /** The root fleet's name, for the herdctl.fleet label; defaults to the agent's fleet. */
  fleet?: string;
  /** The host environment to forward credentials from; process.env by default. */
  hostEnv?: NodeJS.ProcessEnv;
  /** For docker.credentials: proxy; the process's shared proxy by default. */
  proxy?: CredentialProxy;
}

function forwardedEnv(hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(hostEnv)) {
    if (
      value !== undefined &&
      (FORWARDED_ENV.test(key) || (CREDENTIAL_ENV_NAMES as readonly string[]).includes(key))
    ) {
      env[key] = value;
    }
  }
  // The host's config dir means nothing inside; the container's is set by the launcher.
  delete env.CLAUDE_CONFIG_DIR;
  return env;
}

/**
 * Runs any runtime inside the agent's container: prepares the container, hands the wrapped
 * runtime a docker-exec launcher and the container's view of paths, and removes an ephemeral
 * container however the run ends. It relies on the runtime interface only.
 */
export class ContainerRunner implements RuntimeInterface {
  readonly type: RuntimeInterface["type"];
  private readonly manager: ContainerManager;

  constructor(
    private readonly runtime: RuntimeInterface,
    readonly config: DockerConfig,
    private readonly stateDir: string,
    private readonly deps: ContainerRunnerDependencies = {},
  ) {
    this.type = runtime.type;
    this.manager = deps.manager ?? new ContainerManager();
  }

  /** Transcripts of this agent's containerised sessions, kept apart from the host's. */
  sessionsDir(agentName: string): string {
    return join(this.stateDir, "docker-sessions", assertAgentName(agentName));
  }

  async *execute(options: RuntimeExecuteOptions): AsyncGenerator<RuntimeMessage> {
    const placed = await this.place(options);
    try {
      yield* this.runtime.execute({
        ...options,
        ...placed.options,
        signal: placed.proxyStopped ? AbortSignal.any([options.signal, placed.proxyStopped]) : options.signal,
      });
    } catch (error) {
      if (placed.proxyStopped?.aborted && !options.signal.aborted) {
        throw new RuntimeError({ reason: "proxy_down", runtime: this.type, cause: error });
      }
      throw error;
    } finally {
      await placed.release();
    }
  }

  /**
   * A kept claude process inside the agent's container (see LiveConversation). The container, and
   * the proxy token claude was started with, live until the conversation is closed.
   */
  async open(options: ConversationOptions): Promise<LiveConversation> {
    const open = this.runtime.open?.bind(this.runtime);
    if (!open)
      throw new RuntimeError({
        reason: "invalid_option",
        runtime: this.type,
        detail: "this runtime keeps no process between turns",
      });
    const placed = await this.place(options);
    let conversation: LiveConversation;
    try {
      conversation = await open({ ...options, ...placed.options });
    } catch (error) {
      await placed.release();
      throw error;
    }
    const stopped = placed.proxyStopped;
    const onProxyDown = () => void conversation.close();
    stopped?.addEventListener("abort", onProxyDown, { once: true });
    return {
      get pid() {
        return conversation.pid;
      },
      containerId: placed.containerId,
      get closed() {
        return conversation.closed;
      },
      turn: (prompt, turn) => conversation.turn(prompt, turn),
      close: async () => {
        stopped?.removeEventListener("abort", onProxyDown);
        await conversation.close();
        await placed.release();
      },
    };
  }

  /** Prepares the container (and the credential proxy's grant) a run or conversation uses. */
  private async place(options: ConversationOptions): Promise<{
    options: Partial<RuntimeExecuteOptions>;
    containerId: string;
    proxyStopped: AbortSignal | undefined;
    release: () => Promise<void>;
  }> {
    const { agent } = options;
    if (this.config.network === "none") {
      // No route to any API endpoint exists from such a container; fail before starting one.
      throw new RuntimeError({
        reason: "unreachable",
        runtime: this.type,
        detail:
          'the agent\'s docker network is "none". Set docker.network to "proxy-only" (or "bridge" or "host") in the fleet file (defaults.docker or agents[].overrides.docker)',
      });
    }
    const plugins = pluginMounts(agent);
    // The proxy runs before the container exists: the container mounts its socket.
    const proxy =
      this.config.credentials === "proxy"
        ? (this.deps.proxy ?? (await sharedCredentialProxy(this.stateDir)))
        : undefined;
    await proxy?.start();
    const container = await this.manager.ensureContainer(
      {
        fleet: this.deps.fleet ?? agent.fleetName,
        agent: agent.name,
        jobId: options.jobId ?? "adhoc",
        config: this.config,
        workingDirectory: agent.working_directory,
        claudeConfigDir: this.sessionsDir(agent.name),
        guard: options.guard,
        plugins,
        proxySocketDir: reachesProxyBySocket(this.config) ? proxy?.socketDir : undefined,
      },
      { warm: true },
    );
    let grant: JobGrant | undefined;
    // The token dies with the run, however it ended: a copy left behind in the container is worthless.
    const release = async () => {
      grant?.revoke();
      if (!this.config.ephemeral) return;
      // A shared manager's owner (the fleet) waits for its removals when it stops, so the job's
      // end is reported while the container goes; nobody would wait for a manager of our own.
      if (this.deps.manager) this.manager.retire(container.id);
      else await this.manager.removeContainer(container.id);
    };
    try {
      options.onContainer?.({ id: container.id, reused: container.reused });
      const hostEnv = this.deps.hostEnv ?? process.env;
      let layers: ContainerEnvLayers = {
        baseEnv: forwardedEnv(hostEnv),
        agentEnv: agent.env,
        env: options.env,
        execEnv: container.credentialEnv,
      };
      if (proxy) {
        const proxyOnly = this.config.network === "proxy-only";
        grant = proxy.grant(
          options.jobId ?? "adhoc",
          proxiedCredentialSource(layers, hostEnv),
          // Only a container with no other way out uses the proxy for egress; its list may be empty.
          proxyOnly
            ? { rules: parseEgressRules(this.config.egressAllow), log: options.egress ?? new EgressLog() }
            : undefined,
        );
        layers = withoutCredentials(layers, {
          token: grant.token,
          // The forwarder on the container's loopback, or on host networking the host's loopback itself.
          baseUrl: reachesProxyBySocket(this.config) ? CONTAINER_PROXY_URL : `http://127.0.0.1:${proxy.port}`,
        });
        if (proxyOnly) layers = { ...layers, env: { ...layers.env, ...egressProxyEnv(grant.token) } };
      }
      const launcher = new ContainerLauncher(
        this.manager,
        container.id,
        agent.working_directory,
        CONTAINER_WORKSPACE,
        layers.execEnv,
      );
      return {
        options: {
          agent: withContainerPlugins(agentWithEnv(agent, layers.agentEnv), plugins),
          env: layers.env,
          launcher,
          // Enforced by the container's mounts; host paths would mean nothing to claude inside.
          guard: undefined,
          claudePath: CONTAINER_CLAUDE_PATH,
          baseEnv: layers.baseEnv,
          // WebFetch first asks api.anthropic.com whether a domain may be fetched; from a
          // proxy-only container that request can only fail (the API host is not an egress
          // destination), which would break WebFetch for every allowlisted host. The allowlist
          // is the fleet's own answer to "may this be fetched".
          ...(this.config.network === "proxy-only"
            ? { settings: { ...options.settings, skipWebFetchPreflight: true } }
            : {}),
        },
        containerId: container.id,
        proxyStopped: grant?.signal,
        release,
      };
    } catch (error) {
      await release();
      throw error;
    }
  }
}
