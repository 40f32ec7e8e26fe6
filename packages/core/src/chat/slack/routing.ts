/**
 * Which Slack events become chat turns, for which agent and on which conversation. Pure, so the
 * rules (mentions, auto channels, threads, DMs and their allow and deny lists) are tested alone.
 */

export interface SlackChannelRule {
  id: string;
  mode: "mention" | "auto";
  context_messages: number;
}

export interface SlackDmRule {
  enabled: boolean;
  /** mention: only DMs that mention the bot are answered. */
  mode?: "mention" | "auto";
  /** When set, only these users (U…) may write to the agent directly. */
  allowlist?: readonly string[];
  /** These users may not, whatever the allowlist says. */
  blocklist?: readonly string[];
}

/** One agent's Slack section, as far as routing needs it. */
export interface SlackAgentRoute {
  agent: string;
  channels: readonly SlackChannelRule[];
  dm?: SlackDmRule;
}

/** The fields of an app_mention or message event routing reads. */
export interface SlackIncoming {
  type: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
}

export type SlackRoute =
  | {
      kind: "turn";
      agent: string;
      channel: string;
      /**
       * The thread replies go in: the message's thread, or the message itself. Undefined for a
       * direct message outside a thread: a DM is one conversation, answered in place.
       */
      threadTs: string | undefined;
      /** `slack:<channel>:<thread ts>`: one chat per thread; `slack:<channel>:dm` for a DM. */
      key: string;
      text: string;
      user: string;
      /** The message's own ts. */
      ts: string;
      /** Messages before this one to send along when the conversation is new. */
      contextMessages: number;
      /** A reply in a thread the agent may not be part of: a turn only if it already is. */
      onlyIfKnown: boolean;
    }
  | { kind: "refuse"; channel: string; threadTs: string | undefined; reason: string }
  | { kind: "ignore" };

const IGNORE = { kind: "ignore" } as const;

export function slackConversationKey(channel: string, threadTs: string | undefined): string {
  return `slack:${channel}:${threadTs ?? "dm"}`;
}

/**
 * What the agent reads: the bot's own mention taken out (it would read `<@U…>`, not what was
 * asked), and Slack's escapes of &, < and > undone. Everything else, newlines included, is kept.
 */
export function withoutMention(text: string, botUserId: string): string {
  return text
    .replaceAll(`<@${botUserId}>`, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();
}

export function routeSlackEvent(
  event: SlackIncoming,
  routes: readonly SlackAgentRoute[],
  botUserId: string,
): SlackRoute {
  const { channel, user, ts } = event;
  // The bot's own posts come back as events; edits, joins and other subtypes are not questions.
  if (!channel || !user || !ts || event.bot_id || event.subtype || user === botUserId) return IGNORE;
  const text = withoutMention(event.text ?? "", botUserId);
  const inThread = event.thread_ts !== undefined && event.thread_ts !== ts;
  const isDm = event.type === "message" && event.channel_type === "im";
  const threadTs = isDm && !inThread ? undefined : (event.thread_ts ?? ts);
  const turn = (agent: string, contextMessages: number, onlyIfKnown: boolean): SlackRoute => ({
    kind: "turn",
    agent,
    channel,
    threadTs,
    key: slackConversationKey(channel, threadTs),
    text,
    user,
    ts,
    contextMessages,
    onlyIfKnown,
  });

  if (isDm) {
    const route = routes.find((r) => r.dm?.enabled);
    if (!route?.dm)
      return { kind: "refuse", channel, threadTs, reason: "direct messages are turned off for this bot" };
    if (route.dm.blocklist?.includes(user) || (route.dm.allowlist && !route.dm.allowlist.includes(user)))
      return {
        kind: "refuse",
        channel,
        threadTs,
        reason: "you are not on this agent's list of people it takes direct messages from",
      };
    if (route.dm.mode === "mention" && !(event.text ?? "").includes(`<@${botUserId}>`)) return IGNORE;
    return text ? turn(route.agent, 0, false) : IGNORE;
  }

  const match = routes.flatMap((r) =>
    r.channels.filter((c) => c.id === channel).map((c) => ({ route: r, rule: c })),
  )[0];
  if (!match || !text) return IGNORE;
  if (event.type === "app_mention") return turn(match.route.agent, match.rule.context_messages, false);
  if (event.type !== "message") return IGNORE;
  // A mention arrives twice (app_mention and message): the app_mention copy is the one answered.
  if ((event.text ?? "").includes(`<@${botUserId}>`)) return IGNORE;
  if (inThread) return turn(match.route.agent, match.rule.context_messages, match.rule.mode !== "auto");
  return match.rule.mode === "auto" ? turn(match.route.agent, match.rule.context_messages, false) : IGNORE;
}
