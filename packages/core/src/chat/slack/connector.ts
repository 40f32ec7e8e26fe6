import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@slack/bolt";
import { App, LogLevel, SocketModeReceiver } from "@slack/bolt";
import type { SlackChatConfig } from "../../config/chat-schema.js";
import {
  type ApprovalCommand,
  BUTTON_PREFIX,
  buttonDecision,
  parseApprovalCommand,
} from "../approval-command.js";
import { approvalOutcome, approvalPrompt } from "../connectors/approval-prompt.js";
import { splitMessage } from "../connectors/split.js";
import type { ChatConnector, ConnectorGroup, ConnectorHost, ConnectorState } from "../connectors/types.js";
import { slackApiUrl } from "./api-url.js";
import { isTokenRefusal, slackRefusal } from "./refusal.js";
import { routeSlackEvent, type SlackAgentRoute, type SlackIncoming, type SlackRoute } from "./routing.js";
import { ThreadReply } from "./thread-reply.js";

/** Slack accepts 40,000 characters but folds long messages; a section block holds 3,000. */
export const SLACK_MESSAGE_LIMIT = 3000;
/** How often the working message is refreshed during a turn. */
export const SLACK_HEARTBEAT_MS = 10_000;
/** The longest wait between two attempts to reopen the Socket Mode connection. */
const MAX_RECONNECT_WAIT_MS = 30_000;
/** How far back a thread is read for context and to see whether the bot is in it. */
const THREAD_READ_LIMIT = 200;

type TurnRoute = Extract<SlackRoute, { kind: "turn" }>;

/** What Slack sends for a click on a message's button (the parts read here). */
interface ButtonClick {
  user?: { id?: string };
  channel?: { id?: string };
  container?: { channel_id?: string };
  message?: { ts?: string; thread_ts?: string };
}

/** The request as Block Kit: its text, then Approve and Deny. */
function approvalBlocks(text: string, id: string) {
  const button = (decision: "approve" | "deny", label: string, style: "primary" | "danger") => ({
    type: "button" as const,
    action_id: `${BUTTON_PREFIX}:${decision}`,
    value: id,
    style,
    text: { type: "plain_text" as const, text: label },
  });
  return [
    { type: "section" as const, text: { type: "mrkdwn" as const, text: text.slice(0, SLACK_MESSAGE_LIMIT) } },
    {
      type: "actions" as const,
      elements: [button("approve", "Approve", "primary"), button("deny", "Deny", "danger")],
    },
  ];
}

export function createConnector(group: ConnectorGroup, host: ConnectorHost): ChatConnector {
  return new SlackConnector(group, host);
}

/**
 * One Slack app connection (bolt in Socket Mode) for the agents sharing a bot token: routes
 * mentions, auto-channel messages, known-thread replies and allowed DMs to chat turns, and
 * answers in the thread.
 */
class SlackConnector implements ChatConnector {
  readonly platform = "slack" as const;
  readonly key: string;
  private current: ConnectorState;
  private app: App | undefined;
  private botUserId = "";
  private botId = "";
  private stopping = false;
  private reconnecting = false;
  private readonly routes: SlackAgentRoute[];
  private readonly config: SlackChatConfig;
  private readonly configs = new Map<string, SlackChatConfig>();
  // Threads the bot is known to be part of, so a reply without a mention needs no lookup.
  private readonly knownThreads = new Set<string>();

  constructor(
    private readonly group: ConnectorGroup,
    private readonly host: ConnectorHost,
  ) {
    this.key = group.key;
    for (const agent of group.agents) {
      const slack = agent.chat?.slack;
      if (slack) this.configs.set(agent.name, slack);
    }
    this.config = this.configs.values().next().value as SlackChatConfig;
    this.routes = [...this.configs].map(([agent, slack]) => ({
      agent,
      channels: slack.channels,
      ...(slack.dm ? { dm: slack.dm } : {}),
    }));
    this.current = this.stateOf("starting");
  }

  state(): ConnectorState {
    return this.current;
  }

  async start(): Promise<void> {
    const env = this.host.env();
    const botToken = env[this.config.bot_token_env];
    const appToken = env[this.config.app_token_env];
    if (!botToken)
      return this.fail(
        `${this.config.bot_token_env} is not set; export the bot token (xoxb-…) where herdctl runs`,
      );
    if (!appToken)
      return this.fail(
        `${this.config.app_token_env} is not set; export the app-level token (xapp-…) where herdctl runs`,
      );
    const clientOptions = { slackApiUrl: slackApiUrl(env) };
    const logger = this.logger([botToken, appToken]);
    // herdctl reopens dropped connections itself: the library's own loop leaves a refused
    // app-level token as an unhandled rejection, which would end the daemon.
    const receiver = new SocketModeReceiver({
      appToken,
      logger,
      autoReconnectEnabled: false,
      installerOptions: { clientOptions },
    });
    const app = new App({ token: botToken, receiver, logger, clientOptions, deferInitialization: true });
    this.app = app;
    try {
      await app.init();
      const auth = await app.client.auth.test();
      this.botUserId = String(auth.user_id ?? "");
      this.botId = String(auth.bot_id ?? "");
    } catch (error) {
      return this.fail(slackRefusal(error, `the bot token in ${this.config.bot_token_env}`));
    }
    app.event("app_mention", ({ event }) => this.receive(event as SlackIncoming));
    app.event("message", ({ event }) => this.receive(event as SlackIncoming));
    app.action(new RegExp(`^${BUTTON_PREFIX}:`), async ({ ack, body, action }) => {
      await ack();
      await this.click(body as ButtonClick, action as { action_id?: string; value?: string });
    });
    app.error(async (error) =>
      this.host.log(`slack connector (${this.key}): ${slackRefusal(error, "a Slack call")}`),
    );
    receiver.client.on("disconnected", () => {
      if (!this.stopping) void this.reconnect(receiver);
    });
    try {
      await app.start();
      this.set("connected");
    } catch (error) {
      if (isTokenRefusal(error)) {
        this.stopping = true;
        await app.stop().catch(() => {});
        return this.fail(slackRefusal(error, `the app-level token in ${this.config.app_token_env}`));
      }
      this.set("reconnecting", `${slackRefusal(error, "opening the Socket Mode connection")}; trying again`);
      void this.reconnect(receiver);
    }
  }

  /** Reopens the connection with growing waits until it opens, Slack refuses the token, or stop. */
  private async reconnect(receiver: SocketModeReceiver): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    if (this.current.status === "connected")
      this.set("reconnecting", "the Socket Mode connection closed; reopening it");
    for (let attempt = 0; !this.stopping; attempt++) {
      await sleep(Math.min(1000 * 2 ** attempt, MAX_RECONNECT_WAIT_MS));
      if (this.stopping) break;
      try {
        await receiver.client.start();
        this.set("connected");
        break;
      } catch (error) {
        if (isTokenRefusal(error)) {
          this.stopping = true;
          this.set("failed", slackRefusal(error, `the app-level token in ${this.config.app_token_env}`));
          await this.app?.stop().catch(() => {});
          break;
        }
        this.set(
          "reconnecting",
          `${slackRefusal(error, "opening the Socket Mode connection")}; trying again`,
        );
      }
    }
    this.reconnecting = false;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.app?.stop().catch(() => {});
    this.set("stopped");
  }

  private async receive(event: SlackIncoming): Promise<void> {
    const route = routeSlackEvent(event, this.routes, this.botUserId);
    if (route.kind === "ignore") return;
    if (route.kind === "refuse") {
      this.log("verbose", `refused a direct message in ${route.channel}: ${route.reason}`);
      const command = parseApprovalCommand(event.text ?? "");
      const answer = command
        ? this.host.refuseApproval(
            command.id,
            { platform: "slack", id: String(event.user) },
            "you may not talk to the agent here",
          )
        : `Sorry, ${route.reason}.`;
      await this.post(route.channel, route.threadTs, answer);
      return;
    }
    const command = parseApprovalCommand(route.text);
    if (command) return this.typedDecision(route, command);
    try {
      await this.answer(route);
    } catch (error) {
      this.host.log(
        `slack connector (${this.key}): a turn in ${route.channel} failed: ${(error as Error).message}`,
      );
    }
  }

  private async answer(route: TurnRoute): Promise<void> {
    const config = this.configs.get(route.agent) ?? this.config;
    const thread = await this.readThread(route);
    if (route.onlyIfKnown && !this.knownThreads.has(route.key)) {
      const botInThread = thread.some(
        (m) => m.user === this.botUserId || (this.botId && m.bot_id === this.botId),
      );
      if (!botInThread)
        return this.log("verbose", `ignored a reply in thread ${route.key} the bot is not in`);
    }
    this.knownThreads.add(route.key);
    this.log("standard", `turn for ${route.agent} from ${route.user} in ${route.key}`);
    const reply = new ThreadReply(this.app!.client, {
      channel: route.channel,
      threadTs: route.threadTs,
      heartbeatMs: SLACK_HEARTBEAT_MS,
      split: (text) => splitMessage(text, SLACK_MESSAGE_LIMIT),
      showTools: config.output.tool_results,
      showErrors: config.output.errors,
      warn: (line) => this.host.log(`slack connector (${this.key}): ${line}`),
    });
    if (config.output.system_status) await reply.begin();
    const context =
      route.contextMessages === 0
        ? []
        : thread
            .filter((m) => m.text && m.ts !== route.ts)
            .slice(-route.contextMessages)
            .map((m) => `${m.user === this.botUserId ? "you" : (m.user ?? "someone")}: ${m.text}`);
    const texts: string[] = [];
    const asked = new Map<string, Promise<string | undefined>>();
    const turn = this.host.runTurn({
      agent: route.agent,
      key: route.key,
      surface: "slack",
      text: route.text,
      ...(context.length > 0 ? { context } : {}),
      sessionExpiryHours: config.session_expiry_hours,
      actor: { via: "slack", who: `member ${route.user} in ${route.channel}` },
    });
    for await (const event of turn) {
      if (event.type === "text") texts.push(event.text);
      else if (event.type === "tool") reply.toolUsed(event.name);
      else if (event.type === "approval") {
        const text = approvalPrompt(event.approval, true);
        asked.set(
          event.approval.id,
          this.post(route.channel, route.threadTs, text, approvalBlocks(text, event.approval.id)),
        );
      } else if (event.type === "approval_decided") {
        const ts = await asked.get(event.approval.id);
        if (ts) await this.update(route.channel, ts, approvalOutcome(event.approval));
      } else if (event.type === "done") await reply.finish(texts.join("\n\n"));
      else if (event.type === "error") await reply.fail(event.message);
    }
  }

  /** The thread's messages (oldest first), or nothing when there is no thread yet or it is unreadable. */
  private async readThread(
    route: TurnRoute,
  ): Promise<Array<{ ts?: string; user?: string; bot_id?: string; text?: string }>> {
    // Only a conversation new to this process: a known one has its context in its session.
    const needed = !this.knownThreads.has(route.key) && (route.onlyIfKnown || route.contextMessages > 0);
    if (!needed || !route.threadTs) return [];
    try {
      const result = await this.app!.client.conversations.replies({
        channel: route.channel,
        ts: route.threadTs,
        limit: THREAD_READ_LIMIT,
      });
      return (result.messages ?? []) as Array<{ ts?: string; user?: string; bot_id?: string; text?: string }>;
    } catch (error) {
      this.log(
        "verbose",
        `could not read thread ${route.key}: ${slackRefusal(error, "conversations.replies")}`,
      );
      return [];
    }
  }

  /**
   * `approve <id> [reason]` or `deny <id> [reason]` from someone the routing lets talk to the agent
   * here; the fleet checks the request is this conversation's. Answered in the thread.
   */
  private async typedDecision(route: TurnRoute, command: ApprovalCommand): Promise<void> {
    let answer: string;
    try {
      const { id, decision, reason } = command;
      const record = this.host.decideApproval({
        agent: route.agent,
        key: route.key,
        id,
        decision,
        reason,
        decider: { platform: "slack", id: route.user },
      });
      answer = approvalOutcome(record);
    } catch (error) {
      answer = (error as { code?: unknown }).code
        ? (error as Error).message
        : "herdctl could not record the decision; try again, or use herdctl approve|deny";
    }
    await this.post(route.channel, route.threadTs, answer);
  }

  /**
   * A click on an Approve or Deny button. The clicker (the member Slack reports for the click) is
   * routed as if they had replied in the request's conversation; the button's value is untrusted.
   * The outcome is posted in the conversation; the request's own message is updated by the turn.
   */
  private async click(body: ButtonClick, action: { action_id?: string; value?: string }): Promise<void> {
    const channel = body.channel?.id ?? body.container?.channel_id;
    const message = body.message;
    const user = body.user?.id;
    if (!channel || !message?.ts || !user) return;
    const threadTs = message.thread_ts;
    const decider = { platform: "slack" as const, id: user };
    const wanted = buttonDecision(`${action.action_id ?? ""}:${action.value ?? ""}`);
    const route = routeSlackEvent(
      {
        type: "message",
        channel,
        user,
        ts: message.ts,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        channel_type: channel.startsWith("D") ? "im" : "channel",
        text: "(a button click)",
      },
      this.routes,
      this.botUserId,
    );
    let answer: string;
    if (!wanted)
      answer = this.host.refuseApproval(
        String(action.value ?? ""),
        decider,
        "the button is not one herdctl posted",
      );
    else if (route.kind !== "turn")
      answer = this.host.refuseApproval(wanted.id, decider, "you may not talk to the agent here");
    else {
      try {
        const record = this.host.decideApproval({ agent: route.agent, key: route.key, ...wanted, decider });
        answer = approvalOutcome(record);
      } catch (error) {
        answer = (error as { code?: unknown }).code
          ? (error as Error).message
          : "herdctl could not record the decision; try again, or use herdctl approve|deny";
      }
    }
    await this.post(channel, threadTs, answer);
  }

  /** Posts a message; its ts, or undefined when Slack refused it (logged). */
  private async post(
    channel: string,
    threadTs: string | undefined,
    text: string,
    blocks?: ReturnType<typeof approvalBlocks>,
  ): Promise<string | undefined> {
    try {
      const posted = await this.app?.client.chat.postMessage({
        channel,
        text,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(blocks ? { blocks } : {}),
      });
      return posted?.ts;
    } catch (error) {
      this.host.log(
        `slack connector (${this.key}): could not post in ${channel}: ${slackRefusal(error, "chat.postMessage")}`,
      );
      return undefined;
    }
  }

  private async update(channel: string, ts: string, text: string): Promise<void> {
    try {
      // No blocks: the buttons go, the text says how it ended.
      await this.app?.client.chat.update({ channel, ts, text, blocks: [] });
    } catch (error) {
      this.host.log(
        `slack connector (${this.key}): could not edit a message in ${channel}: ${slackRefusal(error, "chat.update")}`,
      );
    }
  }

  private fail(reason: string): void {
    this.set("failed", reason);
    throw new Error(reason);
  }

  private set(status: ConnectorState["status"], reason?: string): void {
    if (this.current.status === status && this.current.reason === reason) return;
    if (this.current.status === "stopped" || (this.current.status === "failed" && status !== "stopped"))
      return;
    this.current = this.stateOf(status, reason);
    this.host.changed(this.current);
  }

  private stateOf(status: ConnectorState["status"], reason?: string): ConnectorState {
    return {
      status,
      ...(reason === undefined ? {} : { reason }),
      since: this.host.now().toISOString(),
      agents: this.group.agents.map((a) => a.name),
    };
  }

  private log(level: "standard" | "verbose", line: string): void {
    const order = { minimal: 0, standard: 1, verbose: 2 };
    if (order[this.config.log_level] >= order[level]) this.host.log(`slack connector (${this.key}): ${line}`);
  }

  /** bolt's own warnings and errors go to the daemon log, with the tokens taken out. */
  private logger(secrets: string[]): Logger {
    const scrub = (parts: unknown[]) =>
      secrets.reduce(
        (text, secret) => text.replaceAll(secret, "[redacted]"),
        parts.map((p) => (p instanceof Error ? p.message : String(p))).join(" "),
      );
    let level = LogLevel.WARN;
    return {
      debug: () => {},
      info: () => {},
      warn: (...parts) => this.log("verbose", `bolt: ${scrub(parts)}`),
      error: (...parts) => this.host.log(`slack connector (${this.key}): bolt: ${scrub(parts)}`),
      setLevel: (next) => {
        level = next;
      },
      getLevel: () => level,
      setName: () => {},
    };
  }
}
