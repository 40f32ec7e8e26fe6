import type { ResolvedAgent } from "../../config/index.js";

/**
 * The environment claude runs with: the launcher's base (the host's environment, or a container's
 * minimal one), then the agent's `env`, then what herdctl adds (credentials, the API endpoint).
 * Later layers win. Undefined values are dropped so they never become the string "undefined".
 */
export function buildChildEnv(
  base: Record<string, string | undefined>,
  agent: Pick<ResolvedAgent, "env">,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const layer of [base, agent.env ?? {}, extra ?? {}]) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) env[k] = v;
  }
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ??= "1";
  return env;
}
