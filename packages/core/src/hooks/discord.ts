import { DISCORD_API_VERSION, discordApiUrl } from "../chat/discord/api-url.js";
import type { HookContext } from "./context.js";
import { HookFailure } from "./errors.js";
import type { Env } from "./shell.js";
import { runWebhookHook, type WebhookOptions } from "./webhook.js";

export interface DiscordHookSpec {
  readonly type: "discord";
  readonly channel_id: string;
  /** Name of the environment variable holding the bot token (never the token). */
  readonly bot_token_env: string;
  readonly dashboard_url?: string;
  readonly timeout?: number;
  readonly retries?: number;
}

/** Discord refuses longer messages. */
const LIMIT = 2000;
const SUMMARY_CHARS = 1200;
const ERROR_CHARS = 300;

const ICONS: Record<string, string> = {
  completed: "✅",
  failed: "❌",
  timed_out: "⏱️",
  cancelled: "⏹️",
  interrupted: "⚠️",
  budget_exceeded: "💸",
  usage_limited: "⏸️",
  approval_requested: "✋",
  approval_decided: "☑️",
};

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function duration(ms: number | null): string | null {
  if (ms === null) return null;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The message for a job's end: agent, status, duration, cost, summary or error, and its link. */
export function discordNotice(context: HookContext, dashboardUrl?: string): string {
  const { job } = context;
  const icon = ICONS[context.event] ?? "•";
  const lines: string[] = [];
  if (context.budget) {
    const b = context.budget;
    lines.push(
      `${icon} **${context.agent.name}**: the ${b.period} budget of ${b.scope} is reached ($${b.spent_usd.toFixed(2)} of $${b.limit_usd.toFixed(2)}); scheduled runs wait until ${b.resets_at}`,
    );
  } else if (context.usage_limit) {
    const u = context.usage_limit;
    lines.push(
      `${icon} **${context.agent.name}** job \`${job.id}\` met the usage limit of its ${u.credential}; scheduled runs of ${u.agents.join(", ")} wait until ${u.resets_at}`,
    );
  } else {
    const facts = [
      duration(job.duration_ms),
      job.cost_usd === null ? null : `$${job.cost_usd.toFixed(4)}`,
      job.schedule ? `schedule ${job.schedule}` : job.trigger_type,
    ].filter(Boolean);
    lines.push(
      `${icon} **${context.agent.name}** job \`${job.id}\` ${job.status.replace("_", " ")} · ${facts.join(" · ")}`,
    );
  }
  if (job.error && context.event !== "completed") lines.push(`Error: ${shorten(job.error, ERROR_CHARS)}`);
  if (job.summary) lines.push(shorten(job.summary, SUMMARY_CHARS).replace(/^/gm, "> "));
  if (dashboardUrl) lines.push(`${dashboardUrl.replace(/\/+$/, "")}/jobs/${encodeURIComponent(job.id)}`);
  return shorten(lines.join("\n"), LIMIT);
}

/**
 * Posts the job's result to a Discord channel through the bot API, with the webhook hook's
 * timeouts, retries (429 with Retry-After, 5xx, network errors) and error messages, which name
 * only Discord's origin: never the token.
 */
export async function runDiscordHook(
  hook: DiscordHookSpec,
  context: HookContext,
  options: WebhookOptions = {},
): Promise<void> {
  const env: Env = options.env ?? process.env;
  const token = env[hook.bot_token_env];
  if (!token)
    throw new HookFailure(
      "HOOK_SECRET_MISSING",
      `bot_token_env names ${hook.bot_token_env}, but ${hook.bot_token_env} is not set; export it where herdctl runs or add it to .env`,
    );
  const url = `${discordApiUrl(env)}/v${DISCORD_API_VERSION}/channels/${hook.channel_id}/messages`;
  const body = JSON.stringify({
    content: discordNotice(context, hook.dashboard_url),
    // A summary quoting "@everyone" must not ping the channel.
    allowed_mentions: { parse: [] },
  });
  await runWebhookHook(
    {
      type: "webhook",
      url,
      headers: { authorization: `Bot ${token}` },
      timeout: hook.timeout,
      retries: hook.retries,
    },
    context,
    { ...options, env },
    body,
  );
}
