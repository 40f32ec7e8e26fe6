/** Slack's Web API; the stand-in in tests and any relay an operator runs replace it. */
export const SLACK_API_URL = "https://slack.com/api/";

/**
 * HERDCTL_SLACK_API_URL points the connector and the slack hooks at another Web API base (the
 * test stand-in, or a relay). Socket Mode's WebSocket address comes from that API's
 * apps.connections.open, so this one setting moves both.
 */
export function slackApiUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const url = env["HERDCTL_SLACK_API_URL"]?.trim();
  if (!url) return SLACK_API_URL;
  return url.endsWith("/") ? url : `${url}/`;
}
