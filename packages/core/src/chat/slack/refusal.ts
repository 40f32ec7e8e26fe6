/**
 * A failed Slack call in plain words for status and the daemon log: Slack's error code, what it
 * means and what to do. Built from the error's code and Slack's answer only, never from the
 * request (which carries the token).
 */
export function slackRefusal(error: unknown, what: string): string {
  const e = error as {
    code?: string;
    data?: { error?: string; needed?: string };
    original?: { message?: string };
  };
  const slackError = e?.data?.error;
  if (slackError) {
    const meaning: Record<string, string> = {
      invalid_auth: "create a new token in the app's settings and export it",
      token_revoked: "the token was revoked; reinstall the app and export the new token",
      token_expired: "the token expired; reinstall the app and export the new token",
      account_inactive: "the app's user is deactivated; reinstall the app",
      not_authed: "no token reached Slack; check the variable",
      not_allowed_token_type:
        "it is the wrong kind of token: the bot token starts with xoxb-, the app-level token with xapp-",
      missing_scope: `the token lacks the scope ${e.data?.needed ?? "the call needs"}; add it in the app's settings and reinstall`,
      team_disabled: "the workspace is disabled",
    };
    return `Slack refused ${what} (${slackError})${meaning[slackError] ? `: ${meaning[slackError]}` : ""}`;
  }
  if (e?.code === "slack_webapi_request_error")
    return `could not reach Slack for ${what}: ${e.original?.message ?? "network error"}; check the network and try again`;
  return `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** Slack's answers that no retry can change: the token itself is refused. */
const TOKEN_REFUSALS = new Set([
  "invalid_auth",
  "not_authed",
  "token_revoked",
  "token_expired",
  "account_inactive",
  "not_allowed_token_type",
  "team_disabled",
  "user_removed_from_team",
]);

export function isTokenRefusal(error: unknown): boolean {
  const code = (error as { data?: { error?: string } })?.data?.error;
  return code !== undefined && TOKEN_REFUSALS.has(code);
}
