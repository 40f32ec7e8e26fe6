import { z } from "zod";

// The reference herdctl's `chat:` keys, with what herdctl does with each. Keys it loads but does
// not act on are taken out with a warning before validation (see legacy.ts), never silently.

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The name of an environment variable that holds a token: the token itself never goes in a file. */
export const tokenEnv = z.string().superRefine((value, ctx) => {
  if (!ENV_NAME.test(value))
    ctx.addIssue({
      code: "custom",
      message: `"${value.length > 40 ? `${value.slice(0, 12)}…` : value}" is not an environment variable name`,
      params: {
        hint: "name the variable that holds the token, e.g. DISCORD_BOT_TOKEN; never the token itself",
      },
    });
});

/** A Discord id (a snowflake): digits only, as a string so large ids keep every digit. */
export const snowflake = z.union([z.string(), z.number()]).transform((value, ctx): string => {
  const text = String(value);
  if (typeof value === "number" || !/^\d{1,25}$/.test(text)) {
    ctx.addIssue({
      code: "custom",
      message:
        typeof value === "number"
          ? `${text} must be quoted: a Discord id is too large for a number and would lose digits`
          : `"${text}" is not a Discord id`,
      params: {
        hint: 'copy the id with Discord\'s developer mode (Copy ID) and quote it, e.g. "123456789012345678"',
      },
    });
    return z.NEVER;
  }
  return text;
});

const mode = z.enum(["mention", "auto"]);

export const ChatDmSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Answer direct messages at all"),
  mode: mode
    .default("auto")
    .describe("auto answers every allowed DM; mention only those that mention the bot"),
  allowlist: z
    .array(snowflake)
    .optional()
    .describe("User ids whose DMs are answered; everyone's (not on the blocklist) when unset"),
  blocklist: z.array(snowflake).optional().describe("User ids whose DMs are never answered, even if allowed"),
});

export const DiscordChannelSchema = z.strictObject({
  id: snowflake.describe("The channel's id"),
  name: z.string().optional().describe("A label for people reading the file; not used"),
  mode: mode
    .default("mention")
    .describe("mention: answer messages that mention the bot; auto: answer every message in the channel"),
  context_messages: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(10)
    .describe("How many earlier channel messages go with a conversation's first turn, as context"),
});

export const DiscordGuildSchema = z.strictObject({
  id: snowflake.describe("The server's id"),
  channels: z.array(DiscordChannelSchema).default([]).describe("The channels the agent answers in"),
});

export const DiscordOutputSchema = z.strictObject({
  tool_results: z.boolean().default(true).describe("Post a line for each tool the agent uses"),
  result_summary: z.boolean().default(false).describe("Post the turn's duration and cost when it ends"),
  errors: z.boolean().default(true).describe("Say in the channel, in plain words, when a turn fails"),
  typing_indicator: z.boolean().default(true).describe("Show the bot typing while the agent works"),
  assistant_messages: z
    .enum(["answers", "all"])
    .default("answers")
    .describe("answers: post the turn's final text; all: post every message the agent writes as it goes"),
});

export const DiscordPresenceSchema = z.strictObject({
  activity_type: z
    .enum(["playing", "watching", "listening", "competing"])
    .optional()
    .describe("The verb of the bot's activity line; playing when unset"),
  activity_message: z
    .string()
    .max(128)
    .optional()
    .describe("The rest of the activity line, e.g. for questions"),
});

export const DiscordChatSchema = z.strictObject({
  bot_token_env: tokenEnv.describe(
    "Environment variable (or .env entry) holding the bot token; agents with the same one share a bot",
  ),
  session_expiry_hours: z
    .number()
    .positive()
    .default(24)
    .describe("A conversation idle this long starts a new session"),
  log_level: z
    .enum(["minimal", "standard", "verbose"])
    .default("standard")
    .describe(
      "minimal: connection changes only; standard: and each turn; verbose: and messages not answered",
    ),
  guilds: z.array(DiscordGuildSchema).default([]).describe("Servers and their channels the agent answers in"),
  dm: ChatDmSchema.optional().describe("Direct messages to the bot"),
  output: DiscordOutputSchema.prefault({}).describe("What the bot posts while and after the agent works"),
  presence: DiscordPresenceSchema.optional().describe("The bot's activity line"),
});

/** A Slack id of the given kinds (C… channel, G… private channel, D… DM, U…/W… user). */
const slackId = (prefixes: string, what: string, example: string) =>
  z.string().superRefine((value, ctx) => {
    if (!new RegExp(`^[${prefixes}][A-Z0-9]{2,}$`).test(value))
      ctx.addIssue({
        code: "custom",
        message: `"${value}" is not a Slack ${what} id`,
        params: { hint: `copy the id from the ${what}'s details in Slack, e.g. ${example}` },
      });
  });

export const slackChannelId = slackId("CGD", "channel", "C0123456789");
const slackUserId = slackId("UW", "member", "U0123456789");

export const SlackChannelSchema = z.strictObject({
  id: slackChannelId.describe("The channel's id (C…, or G… for an older private channel)"),
  name: z.string().optional().describe("A label for people reading the file; not used"),
  mode: mode
    .default("mention")
    .describe("mention: answer @mentions and replies in threads the bot is in; auto: every message"),
  context_messages: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(10)
    .describe("How many earlier messages of the thread go with a conversation's first turn, as context"),
});

export const SlackDmSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Answer direct messages at all"),
  mode: mode
    .default("auto")
    .describe("auto answers every allowed DM; mention only those that mention the bot"),
  allowlist: z
    .array(slackUserId)
    .optional()
    .describe("Member ids (U…) whose DMs are answered; everyone's (not on the blocklist) when unset"),
  blocklist: z
    .array(slackUserId)
    .optional()
    .describe("Member ids whose DMs are never answered, even if allowed"),
});

export const SlackOutputSchema = z.strictObject({
  tool_results: z.boolean().default(true).describe("List the tools the agent used under its answer"),
  system_status: z
    .boolean()
    .default(true)
    .describe("Keep a 'working on it' message in the thread while the agent works"),
  errors: z
    .boolean()
    .default(true)
    .describe("Say in the thread, in plain words, what went wrong when a turn fails"),
});

export const SlackChatSchema = z.strictObject({
  bot_token_env: tokenEnv
    .default("SLACK_BOT_TOKEN")
    .describe("Environment variable holding the bot token (xoxb-…); agents with the same one share a bot"),
  app_token_env: tokenEnv
    .default("SLACK_APP_TOKEN")
    .describe(
      "Environment variable holding the app-level token (xapp-…, scope connections:write) for Socket Mode",
    ),
  session_expiry_hours: z
    .number()
    .positive()
    .default(24)
    .describe("A thread idle this long starts a new session"),
  log_level: z
    .enum(["minimal", "standard", "verbose"])
    .default("standard")
    .describe(
      "minimal: connection changes only; standard: and each turn; verbose: and messages not answered",
    ),
  channels: z.array(SlackChannelSchema).default([]).describe("The channels the agent answers in"),
  dm: SlackDmSchema.optional().describe("Direct messages to the bot"),
  output: SlackOutputSchema.prefault({}).describe("What the bot posts while and after the agent works"),
});

export const AgentChatSchema = z.strictObject({
  discord: DiscordChatSchema.optional().describe("Answer on Discord as a bot (docs/chat.md#discord)"),
  slack: SlackChatSchema.optional().describe("Answer on Slack as an app in Socket Mode (docs/chat.md#slack)"),
});

export type DiscordChatConfig = z.output<typeof DiscordChatSchema>;
export type SlackChatConfig = z.output<typeof SlackChatSchema>;
export type AgentChatConfig = z.output<typeof AgentChatSchema>;
