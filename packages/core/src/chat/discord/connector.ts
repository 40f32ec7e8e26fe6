import {
  ActivityType,
  Client,
  type ClientOptions,
  Events,
  GatewayIntentBits,
  type Interaction,
  type Message,
  MessageFlags,
  Partials,
  type User,
} from "discord.js";
import type { DiscordChatConfig } from "../../config/chat-schema.js";
import {
  type ApprovalCommand,
  buttonDecision,
  type ChatDecider,
  parseApprovalCommand,
} from "../approval-command.js";
import { approvalOutcome, approvalPrompt } from "../connectors/approval-prompt.js";
import type { ChatConnector, ConnectorGroup, ConnectorHost, ConnectorState } from "../connectors/types.js";
import { DISCORD_API_VERSION, discordApiUrl } from "./api-url.js";
import { approvalButtons } from "./approval-buttons.js";
import { postTurn } from "./reply.js";
import { type Route, routeMessage } from "./routing.js";

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

function deciderOf(user: User): ChatDecider {
  return { platform: "discord", id: user.id, name: user.globalName ?? user.username };
}

/** A refusal or failure, in words for the person who clicked or typed. */
function decisionError(error: unknown): string {
  return (error as { code?: unknown }).code
    ? (error as Error).message
    : "herdctl could not record the decision; try again, or use herdctl approve|deny";
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
    client.on(Events.InteractionCreate, (interaction) => void this.click(interaction));
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
    const command = parseApprovalCommand(promptText(message, client.user.id));
    if (command) {
      void this.typedDecision(message, route, command);
      return;
    }
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
    const none = { parse: [] };
    await postTurn(
      events,
      {
        typing: () => channel.sendTyping(),
        post: (chunk, answering) =>
          answering
            ? message.reply({ content: chunk, allowedMentions: { parse: [] } })
            : channel.send({ content: chunk, allowedMentions: { parse: [] } }),
        ask: async (record) => {
          const posted = await channel.send({
            content: approvalPrompt(record, true),
            components: approvalButtons(record.id),
            allowedMentions: none,
          });
          return {
            settle: (decided) =>
              posted.edit({ content: approvalOutcome(decided), components: [], allowedMentions: none }),
          };
        },
      },
      config.output,
      this.host.log,
    );
  }

  /**
   * `approve <id> [reason]` or `deny <id> [reason]` typed in a conversation: decided when its author
   * may talk to the agent there (the same rules as a turn), refused otherwise.
   */
  private async typedDecision(
    message: Message,
    route: Exclude<Route, { kind: "ignored" }>,
    command: ApprovalCommand,
  ): Promise<void> {
    const decider = deciderOf(message.author);
    let answer: string;
    if (route.kind !== "answer")
      answer = this.host.refuseApproval(command.id, decider, "you may not talk to the agent here");
    else {
      try {
        const { id, decision, reason } = command;
        const record = this.host.decideApproval({
          agent: route.agent.name,
          key: route.key,
          id,
          decision,
          reason,
          decider,
        });
        answer = approvalOutcome(record);
      } catch (error) {
        answer = decisionError(error);
      }
    }
    await message
      .reply({ content: answer, allowedMentions: { parse: [] } })
      .catch((error: Error) => this.host.log(`discord: could not answer a decision: ${error.message}`));
  }

  /**
   * A click on an Approve or Deny button. The clicker is checked as if they had written in the
   * button's channel; the button's id as untrusted input. Refusals are shown to the clicker only.
   */
  private async click(interaction: Interaction): Promise<void> {
    if (!interaction.isButton()) return;
    const decider = deciderOf(interaction.user);
    const refuse = (content: string) =>
      interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    try {
      const wanted = buttonDecision(interaction.customId);
      if (!wanted)
        return void (await refuse(
          this.host.refuseApproval(interaction.customId, decider, "the button is not one herdctl posted"),
        ));
      const channel = interaction.channel;
      const route = routeMessage(
        {
          guildId: interaction.guildId,
          channelId: interaction.channelId ?? "",
          parentId: channel?.isThread() ? channel.parentId : null,
          authorId: interaction.user.id,
          authorIsBot: interaction.user.bot,
          mentionsBot: true,
        },
        this.group.agents,
      );
      if (route.kind !== "answer")
        return void (await refuse(
          this.host.refuseApproval(wanted.id, decider, "you may not talk to the agent in this conversation"),
        ));
      const record = this.host.decideApproval({
        agent: route.agent.name,
        key: route.key,
        ...wanted,
        decider,
      });
      await interaction.update({
        content: approvalOutcome(record),
        components: [],
        allowedMentions: { parse: [] },
      });
    } catch (error) {
      await refuse(decisionError(error)).catch((failed: Error) =>
        this.host.log(`discord: could not answer a button click: ${failed.message}`),
      );
    }
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
