import type { ResolvedAgent } from "../../config/index.js";
import { CredentialSource, MODEL_CREDENTIAL_ENV } from "../../proxy/credential-source.js";
import { looksSecretName } from "../../secrets/redactor.js";

/** The environment layers a containerised run is built from (see child-env.ts for the order). */
export interface ContainerEnvLayers {
  /** The host's variables that are forwarded into containers. */
  baseEnv: Record<string, string>;
  agentEnv: Record<string, string> | undefined;
  /** The executor's extras: credentials and the API endpoint, .env values. */
  env: Record<string, string> | undefined;
  /** docker.env entries that look like credentials, passed per exec. */
  execEnv: Record<string, string>;
}

const MODEL_NAMES = new Set<string>(MODEL_CREDENTIAL_ENV);

function without(
  env: Record<string, string> | undefined,
  drop: (name: string) => boolean,
): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter(([name]) => !drop(name)));
}

/**
 * Where the proxy finds a job's real credential: the same places, in the same order of
 * precedence, that would have put it into the container. `hostEnv` is read whole and last, so
 * claude's host login (CLAUDE_CONFIG_DIR or ~/.claude) is found too.
 */
export function proxiedCredentialSource(
  layers: ContainerEnvLayers,
  hostEnv: NodeJS.ProcessEnv,
): CredentialSource {
  return new CredentialSource([() => layers.execEnv, () => layers.env, () => layers.agentEnv, () => hostEnv]);
}

/**
 * The layers with no credential left in them: model credentials never (the proxy holds them), and
 * nothing secret-looking from the host or herdctl's environment. What the fleet file's docker.env
 * and the agent's own env name explicitly is the user's deliberate choice and stays.
 */
export function withoutCredentials(
  layers: ContainerEnvLayers,
  proxy: { token: string; baseUrl: string },
): ContainerEnvLayers {
  const hostSecret = (name: string) => MODEL_NAMES.has(name) || looksSecretName(name);
  return {
    baseEnv: without(layers.baseEnv, hostSecret),
    agentEnv: layers.agentEnv && without(layers.agentEnv, (name) => MODEL_NAMES.has(name)),
    env: {
      ...without(layers.env, hostSecret),
      ANTHROPIC_API_KEY: proxy.token,
      ANTHROPIC_BASE_URL: proxy.baseUrl,
    },
    execEnv: without(layers.execEnv, (name) => MODEL_NAMES.has(name)),
  };
}

/** The agent as the container sees it: its env without model credentials. */
export function agentWithEnv(agent: ResolvedAgent, env: Record<string, string> | undefined): ResolvedAgent {
  return env === agent.env ? agent : { ...agent, env };
}
