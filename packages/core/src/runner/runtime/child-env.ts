import type { ResolvedAgent } from "../../config/index.js";

/**
 * The variables that hold the agent's chat bot tokens (chat.discord, chat.slack, discord and slack
 * hooks). claude never
 * needs them, and a chat user can ask the agent to print its environment.
 */
export function chatTokenNames(agent: Pick<ResolvedAgent, "chat" | "hooks">): Set<string> {
  const names = new Set<string>();
  if (agent.chat?.discord) names.add(agent.chat.discord.bot_token_env);
  if (agent.chat?.slack) {
    names.add(agent.chat.slack.bot_token_env);
    names.add(agent.chat.slack.app_token_env);
  }
  for (const list of Object.values(agent.hooks ?? {}))
    for (const hook of list ?? [])
      if (hook.type === "discord" || hook.type === "slack") names.add(hook.bot_token_env);
  return names;
}

/**
 * The environment claude runs with: the launcher's base (the host's environment, or a container's
 * minimal one), then the agent's `env`, then what herdctl adds (credentials, the API endpoint).
 * Later layers win. Undefined values are dropped so they never become the string "undefined".
 * The agent's chat bot tokens are left out unless its own `env` sets them.
 */
export function buildChildEnv(
  base: Record<string, string | undefined>,
  agent: Pick<ResolvedAgent, "env" | "chat" | "hooks">,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const layer of [base, agent.env ?? {}, extra ?? {}]) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) env[k] = v;
  }
  for (const name of chatTokenNames(agent)) if (agent.env?.[name] === undefined) delete env[name];
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ??= "1";
  return env;
}
