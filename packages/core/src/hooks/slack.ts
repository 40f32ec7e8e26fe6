import { slackApiUrl } from "../chat/slack/api-url.js";
import { escapeMrkdwn } from "../chat/slack/mrkdwn.js";
import type { HookContext } from "./context.js";
import { formatMs, HookFailure } from "./errors.js";
import { runWebhookHook, type WebhookOptions } from "./webhook.js";

export interface SlackHookSpec {
  readonly type: "slack";
  readonly channel_id: string;
  /** Name of the environment variable holding the bot token (xoxb-…), never the token. */
  readonly bot_token_env: string;
  /** The dashboard's address as the channel's readers reach it, for a link to the job. */
  readonly dashboard_url?: string;
  /** Milliseconds per attempt. */
  readonly timeout?: number;
  /** Extra attempts after the first. */
  readonly retries?: number;
}

const SUMMARY_LIMIT = 1500;
// Slack answers most failures with HTTP 200 and ok:false; these are the ones worth retrying.
const TRANSIENT = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/**
 * Posts the job's outcome to a Slack channel with chat.postMessage. Delivery goes through the
 * webhook runner, so timeouts, retries, Retry-After and redaction are the webhook hook's.
 */
export async function runSlackHook(
  hook: SlackHookSpec,
  context: HookContext,
  options: WebhookOptions = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const token = env[hook.bot_token_env];
  if (!token) {
    throw new HookFailure(
      "HOOK_SECRET_MISSING",
      `bot_token_env names ${hook.bot_token_env}, but ${hook.bot_token_env} is not set; export the bot token (xoxb-…) where herdctl runs`,
    );
  }
  const doFetch = options.fetch ?? fetch;
  const body = JSON.stringify({
    channel: hook.channel_id,
    text: jobMessage(context, hook.dashboard_url),
    unfurl_links: false,
  });
  const slackFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("authorization", `Bearer ${token}`);
    headers.set("content-type", "application/json; charset=utf-8");
    const response = await doFetch(input, { ...init, headers, body });
    if (response.status !== 200) return response;
    const result = (await response.json().catch(() => undefined)) as
      | { ok?: boolean; error?: string }
      | undefined;
    if (result?.ok === true) return new Response(null, { status: 200 });
    const error = result?.error ?? "an answer that is not Slack's";
    if (TRANSIENT.has(error)) return new Response(error, { status: 503 });
    throw refusal(error, hook);
  };
  await runWebhookHook(
    {
      type: "webhook",
      url: `${slackApiUrl(env)}chat.postMessage`,
      ...(hook.timeout === undefined ? {} : { timeout: hook.timeout }),
      ...(hook.retries === undefined ? {} : { retries: hook.retries }),
    },
    context,
    { ...options, env, fetch: slackFetch },
  );
}

function refusal(error: string, hook: SlackHookSpec): HookFailure {
  const what: Record<string, string> = {
    invalid_auth: `the token in ${hook.bot_token_env} is not valid; create a new bot token and export it`,
    token_revoked: `the token in ${hook.bot_token_env} was revoked; reinstall the app and export the new bot token`,
    not_authed: `no token reached Slack; check ${hook.bot_token_env}`,
    channel_not_found: `channel ${hook.channel_id} does not exist or the bot cannot see it; check channel_id`,
    not_in_channel: `the bot is not in channel ${hook.channel_id}; invite it with /invite @your-bot`,
    missing_scope: "the bot token lacks the chat:write scope; add it and reinstall the app",
  };
  return new HookFailure(
    "HOOK_HTTP_STATUS",
    `Slack refused the message (${error}): ${what[error] ?? "see Slack's chat.postMessage documentation for this error"}`,
  );
}

/** One line of facts, the summary (or the error) quoted, and a link to the job when there is a dashboard. */
export function jobMessage(context: HookContext, dashboardUrl?: string): string {
  const { job } = context;
  const status =
    context.event === "budget_exceeded"
      ? "reached its budget"
      : context.usage_limit
        ? `met the usage limit of its ${context.usage_limit.credential} (paused until ${context.usage_limit.resets_at})`
        : context.approval
          ? `${context.approval.tool} call ${context.approval.id} ${context.approval.state.replace("_", " ")}`
          : job.status.replace("_", " ");
  const facts = [`*${escapeMrkdwn(context.agent.name)}* job \`${job.id}\` ${status}`];
  if (job.duration_ms !== null) facts.push(`in ${formatMs(job.duration_ms)}`);
  if (job.cost_usd !== null) facts.push(`cost $${job.cost_usd.toFixed(4)}`);
  const lines = [facts.join(", ")];
  const detail = job.status === "completed" ? job.summary : (job.error ?? job.summary);
  if (detail) {
    const cut = detail.length > SUMMARY_LIMIT ? `${detail.slice(0, SUMMARY_LIMIT)}…` : detail;
    lines.push(
      ...escapeMrkdwn(cut)
        .split("\n")
        .map((line) => `> ${line}`),
    );
  }
  if (dashboardUrl)
    lines.push(
      `<${dashboardUrl.replace(/\/+$/, "")}/jobs/${encodeURIComponent(job.id)}|Open the job in the dashboard>`,
    );
  return lines.join("\n");
}
