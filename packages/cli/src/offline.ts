import { offlineResponder, type Standin, startStandin } from "@herdctl/standin";

/**
 * Starts the built-in stand-in on loopback and returns the environment that points claude at it.
 * Real credentials are blanked so nothing can reach Anthropic with them by accident.
 */
export async function startOffline(): Promise<{ standin: Standin; env: Record<string, string> }> {
  const standin = await startStandin({ responder: offlineResponder });
  return {
    standin,
    env: {
      ANTHROPIC_BASE_URL: standin.url,
      ANTHROPIC_API_KEY: "herdctl-offline",
      ANTHROPIC_AUTH_TOKEN: "",
      CLAUDE_CODE_OAUTH_TOKEN: "",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "1",
    },
  };
}
