import {
  ActivityType,
  Client,
  type ClientOptions,
  Events,
  GatewayIntentBits,
  type Message,
  Partials,
} from "discord.js";
import type { DiscordChatConfig } from "../../config/chat-schema.js";
import type { ChatConnector, ConnectorGroup, ConnectorHost, ConnectorState } from "../connectors/types.js";
import { DISCORD_API_VERSION, discordApiUrl } from "./api-url.js";
import { postTurn } from "./reply.js";
import { routeMessage } from "./routing.js";

/** What the bot must be granted in the Developer Portal (docs/chat.md#discord). */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

/** Gateway close codes after which discord.js gives up, in words an operator can act on. */
const FATAL_CLOSES: Record<number, string> = {
  4004: "Discord refused the bot token (authentication failed); check the token, or reset it under Bot in the Developer Portal",
  4013: "Discord refused the gateway intents the bot asked for",
  4014: "Discord refused the Message Content intent; turn it on under Bot → Privileged Gateway Intents in the Developer Portal",
};

const ACTIVITY: Record<string, ActivityType> = {
  playing: ActivityType.Playing,
  watching: ActivityType.Watching,
  listening: ActivityType.Listening,
  competing: ActivityType.Competing,
};

function presenceOf(config: DiscordChatConfig | undefined): ClientOptions["presence"] {
  const p = config?.presence;
  if (!p?.activity_message) return undefined;
  return {
    status: "online",
    activities: [{ name: p.activity_message, type: ACTIVITY[p.activity_type ?? "playing"] }],
  };
}

/** The text of a message addressed to the bot, without the bot's own mention. */
function promptText(message: Message, botId: string): string {
  return message.content.replace(new RegExp(`<@!?${botId}>`, "g"), "").trim();
}

/**
 * One Discord bot (one token), answering for every agent configured with that token. discord.js
 * keeps the gateway connection (heartbeats, resumes, reconnects) and honours REST rate limits;
 * this class turns the messages it delivers into chat turns and reports where it stands.
 */
export class DiscordConnector implements ChatConnector {
  readonly platform = "discord" as const;
  readonly key: string;
  private client: Client | undefined;
  private current: ConnectorState;
  private readonly turns = new Set<Promise<unknown>>();

  constructor(
    private readonly group: ConnectorGroup,
    private readonly host: ConnectorHost,
  ) {
    this.key = group.key;
    this.current = this.stateOf("starting");
  }

  state(): ConnectorState {
    return this.current;
  }

  async start(): Promise<void> {
    const token = this.host.env()[this.key];
    if (!token) {
      const reason = `the environment variable ${this.key} is not set; set it (or add it to .env) to the bot's token`;
      this.set("failed", reason);
      throw new Error(reason);
    }
    const first = this.group.agents[0]?.chat?.discord;
    const client = new Client({
      intents: DISCORD_INTENTS,
      // A DM channel is not cached before its first message: discord.js needs the partial to deliver it.
      partials: [Partials.Channel],
      rest: { api: discordApiUrl(this.host.env()), version: DISCORD_API_VERSION },
      presence: presenceOf(first),
    });
    this.client = client;
    let fail: (reason: string) => void = () => {};
    const fatal = new Promise<never>((_, reject) => {
      fail = (reason) => reject(new Error(reason));
    });
    fatal.catch(() => {});
    // Once stop() has let go of the client, its closing is not news.
    const current = () => this.client === client;
    client.on(Events.ShardDisconnect, ({ code }) => {
      if (!current()) return;
      const reason = FATAL_CLOSES[code] ?? `Discord closed the connection for good (code ${code})`;
      this.set("failed", reason);
      fail(reason);
      void client.destroy();
    });
    client.on(Events.ShardReconnecting, () => {
      if (current() && this.current.status !== "failed")
        this.set("reconnecting", "the gateway connection dropped; reconnecting");
    });
    client.on(Events.ShardResume, () => this.set("connected"));
    client.on(Events.ShardReady, () => {
      if (this.current.status === "reconnecting") this.set("connected");
    });
    client.on(Events.Error, (error) => this.host.log(`discord (${this.key}): ${error.message}`));
    client.on(Events.MessageCreate, (message) => this.receive(message));
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    try {
      await Promise.race([client.login(token).then(() => ready), fatal]);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason =
        code === "TokenInvalid" || (error as { status?: unknown }).status === 401
          ? FATAL_CLOSES[4004]!
          : this.current.status === "failed"
            ? this.current.reason!
            : `could not connect to Discord: ${(error as Error).message}`;
      if (this.current.status !== "failed") this.set("failed", reason);
      await client.destroy().catch(() => {});
      throw new Error(reason);
    }
    this.set("connected");
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.destroy();
    // Turns in flight finish with the fleet's jobs; their replies can no longer be posted.
    this.set("stopped");
  }

  private receive(message: Message): void {
    const client = this.client;
    if (!client?.user) return;
    const channel = message.channel;
    const route = routeMessage(
      {
        guildId: message.guildId,
        channelId: message.channelId,
        parentId: channel.isThread() ? channel.parentId : null,
        authorId: message.author.id,
        authorIsBot: message.author.bot,
        mentionsBot: message.mentions.users.has(client.user.id),
      },
      this.group.agents,
    );
    if (route.kind === "ignored") return;
    if (route.kind === "refused") {
      // Said in the log, not in the DM: a refused sender learns nothing about the fleet.
      this.host.log(
        `discord: ${route.agent} did not answer a DM from user ${message.author.id}: ${route.reason}`,
      );
      return;
    }
    const text = promptText(message, client.user.id);
    if (text === "") return;
    const turn = this.answer(
      message,
      route.agent.name,
      route.config,
      route.key,
      route.contextMessages,
      text,
    ).catch((error: Error) =>
      this.host.log(`discord: a turn of ${route.agent.name} failed: ${error.message}`),
    );
    this.turns.add(turn);
    void turn.finally(() => this.turns.delete(turn));
  }

  private async answer(
    message: Message,
    agent: string,
    config: DiscordChatConfig,
    key: string,
    contextMessages: number,
    text: string,
  ): Promise<void> {
    const context = contextMessages > 0 ? await this.context(message, contextMessages) : undefined;
    if (config.log_level !== "minimal")
      this.host.log(`discord: ${agent} answers user ${message.author.id} in ${key}`);
    const events = this.host.runTurn({
      agent,
      key,
      surface: "discord",
      text,
      context,
      sessionExpiryHours: config.session_expiry_hours,
      actor: { via: "discord", who: `user ${message.author.id} in channel ${message.channelId}` },
    });
    const channel = message.channel;
    if (!channel.isSendable()) return;
    await postTurn(
      events,
      {
        typing: () => channel.sendTyping(),
        post: (chunk, answering) =>
          answering
            ? message.reply({ content: chunk, allowedMentions: { parse: [] } })
            : channel.send({ content: chunk, allowedMentions: { parse: [] } }),
      },
      config.output,
      this.host.log,
    );
  }

  /** The messages before this one, oldest first, as "name: text". */
  private async context(message: Message, limit: number): Promise<string[]> {
    try {
      const earlier = await message.channel.messages.fetch({ limit, before: message.id });
      return [...earlier.values()]
        .reverse()
        .filter((m) => m.content.trim() !== "")
        .map((m) => `${m.author.username}: ${m.content}`);
    } catch (error) {
      this.host.log(
        `discord: could not read earlier messages of ${message.channelId}: ${(error as Error).message}`,
      );
      return [];
    }
  }

  private stateOf(status: ConnectorState["status"], reason?: string): ConnectorState {
    return {
      status,
      ...(reason === undefined ? {} : { reason }),
      since: this.host.now().toISOString(),
      agents: this.group.agents.map((a) => a.name),
    };
  }

  private set(status: ConnectorState["status"], reason?: string): void {
    if (this.current.status === status && this.current.reason === reason) return;
    this.current = this.stateOf(status, reason);
    this.host.changed(this.current);
  }
}
