import type { DiscordChatConfig } from "../../config/chat-schema.js";
import type { ResolvedAgent } from "../../config/index.js";

/** What the connector knows of an incoming message, before any agent sees it. */
export interface IncomingMessage {
  guildId: string | null;
  /** The channel, or the thread, it was written in. */
  channelId: string;
  /** For a thread: the channel it belongs to (its config applies). */
  parentId: string | null;
  authorId: string;
  authorIsBot: boolean;
  mentionsBot: boolean;
}

/** Who answers a message and in which conversation, or why nobody does. */
export type Route =
  | {
      kind: "answer";
      agent: ResolvedAgent;
      config: DiscordChatConfig;
      /** discord:<channel or thread id>: the chat (and session) the message continues. */
      key: string;
      contextMessages: number;
    }
  | { kind: "refused"; agent: string; reason: string }
  | { kind: "ignored"; reason: string };

/**
 * Decides, from the agents' chat.discord config alone, whether a message becomes a turn. A
 * guild message must be in a listed channel (or a thread of one) and, in a mention channel,
 * mention the bot. A DM needs a `dm` block that is enabled and lets the author in.
 */
export function routeMessage(message: IncomingMessage, agents: readonly ResolvedAgent[]): Route {
  if (message.authorIsBot) return { kind: "ignored", reason: "written by a bot" };
  const key = `discord:${message.channelId}`;
  if (message.guildId === null) return routeDm(message, agents, key);
  const listed = message.parentId ?? message.channelId;
  for (const agent of agents) {
    const config = agent.chat?.discord;
    const channel = config?.guilds
      .find((g) => g.id === message.guildId)
      ?.channels.find((c) => c.id === listed || c.id === message.channelId);
    if (!config || !channel) continue;
    if (channel.mode === "mention" && !message.mentionsBot)
      return { kind: "ignored", reason: "the channel answers mentions only" };
    return { kind: "answer", agent, config, key, contextMessages: channel.context_messages };
  }
  return { kind: "ignored", reason: "the channel is not configured" };
}

function routeDm(message: IncomingMessage, agents: readonly ResolvedAgent[], key: string): Route {
  let refusal: Route | undefined;
  for (const agent of agents) {
    const config = agent.chat?.discord;
    if (!config) continue;
    const dm = config.dm;
    const refuse = (reason: string) => {
      refusal ??= { kind: "refused", agent: agent.name, reason };
    };
    if (!dm) refuse("direct messages are not enabled (no chat.discord.dm)");
    else if (!dm.enabled) refuse("direct messages are disabled (chat.discord.dm.enabled: false)");
    else if (dm.blocklist?.includes(message.authorId)) refuse("the sender is on chat.discord.dm.blocklist");
    else if (dm.allowlist && !dm.allowlist.includes(message.authorId))
      refuse("the sender is not on chat.discord.dm.allowlist");
    else if (dm.mode === "mention" && !message.mentionsBot)
      return { kind: "ignored", reason: "direct messages must mention the bot" };
    else return { kind: "answer", agent, config, key, contextMessages: 0 };
  }
  return refusal ?? { kind: "ignored", reason: "no agent takes direct messages" };
}
