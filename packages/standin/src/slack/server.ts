import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { sendJson } from "../reply.js";
import type { SlackApiCall, SlackEnvelope, SlackMessage, SlackReaction } from "./types.js";
import { type ApiAnswer, conversation, fail, ok, page, readArgs, tokenOf, tsClock } from "./web-api.js";

export interface SlackStandinOptions {
  host?: string;
  port?: number;
  botToken?: string;
  appToken?: string;
  /** Interval of the server's WebSocket pings; the Socket Mode client drops a link silent for 30 s. */
  pingIntervalMs?: number;
}

export interface SlackUserMessage {
  channel: string;
  user?: string;
  text: string;
  /** Reply inside this thread. */
  thread_ts?: string;
  /** "im" for a direct message; defaults to "im" for D… channel ids, else "channel". */
  channel_type?: "channel" | "group" | "im" | "mpim";
}

export interface SlackStandin {
  /** Base for the WebClient's `slackApiUrl`, ending in /api/. */
  readonly apiUrl: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly calls: SlackApiCall[];
  readonly messages: SlackMessage[];
  readonly reactions: SlackReaction[];
  readonly envelopes: SlackEnvelope[];
  /** Socket Mode links that received `hello`, in order. */
  readonly connections: number;
  /** Links open right now. */
  readonly openConnections: number;
  /** The bot's own posts (and their edits), oldest first. */
  botMessages(channel?: string, threadTs?: string): SlackMessage[];
  /** A user writes `text` mentioning the bot: stored, then delivered as an `app_mention` event. Returns its ts. */
  mention(message: SlackUserMessage): string;
  /** A user writes in a channel or DM: delivered as a `message` event. Returns its ts. */
  say(message: SlackUserMessage): string;
  /** Delivers any event (a bot's message, an edit, a malformed one) as Slack would. */
  event(event: Record<string, unknown>): void;
  /**
   * A user clicks a button of the bot's message: an `interactive` envelope with a `block_actions`
   * payload. `actionId` and `value` are sent as given, so a test can forge them.
   */
  click(input: { channel: string; ts: string; user: string; actionId: string; value: string }): void;
  /** Sends a raw text frame on every open link (e.g. one that is not JSON). */
  sendRaw(text: string): void;
  /** The next `count` calls of `method` answer 429 with Retry-After: `retryAfterSeconds`. */
  rateLimit(method: string, retryAfterSeconds: number, count?: number): void;
  /** From now on the bot token is refused with this error (Slack uses invalid_auth / token_revoked). */
  revokeBotToken(error?: string): void;
  /** From now on apps.connections.open refuses the app-level token with this error. */
  revokeAppToken(error?: string): void;
  /** Cuts every open Socket Mode link without a close frame, the way a network drop does. */
  dropSockets(): void;
  /** Sends Slack's `disconnect` message (e.g. refresh_requested) on every open link. */
  requestReconnect(reason?: string): void;
  close(): Promise<void>;
}

const BOT_USER = "UBOTSTANDIN";
const BOT_ID = "BSTANDIN";
const TEAM = "TSTANDIN";
const APP = "ASTANDIN";

/**
 * A Slack stand-in speaking the Web API methods a Socket Mode bot uses and the Socket Mode
 * WebSocket (hello, events_api envelopes, acks, disconnect), for tests on 127.0.0.1.
 */
export async function startSlackStandin(options: SlackStandinOptions = {}): Promise<SlackStandin> {
  const host = options.host ?? "127.0.0.1";
  const botToken = options.botToken ?? "xoxb-standin-bot-token";
  const appToken = options.appToken ?? "xapp-standin-app-token";
  const pingIntervalMs = options.pingIntervalMs ?? 10_000;
  const calls: SlackApiCall[] = [];
  const messages: SlackMessage[] = [];
  const reactions: SlackReaction[] = [];
  const envelopes: SlackEnvelope[] = [];
  const rateLimits = new Map<string, { retryAfter: number; left: number }>();
  const tickets = new Set<string>();
  const links = new Map<WebSocket, number>();
  const sockets = new Set<Socket>();
  const nextTs = tsClock();
  let botTokenError: string | undefined;
  let appTokenError: string | undefined;
  let connections = 0;
  let eventSeq = 0;
  let port = 0;

  const store = (m: Omit<SlackMessage, "ts" | "edits">): SlackMessage => {
    const message: SlackMessage = { ...m, ts: nextTs(), edits: 0 };
    messages.push(message);
    return message;
  };

  const botAuth = (token: string | undefined): string | undefined => {
    if (!token) return "not_authed";
    if (token !== botToken) return "invalid_auth";
    return botTokenError;
  };

  const method = async (
    name: string,
    args: Record<string, unknown>,
    token: string | undefined,
  ): Promise<ApiAnswer> => {
    if (name === "apps.connections.open") {
      if (!token) return fail("not_authed");
      if (token !== appToken) return fail("invalid_auth");
      if (appTokenError) return fail(appTokenError);
      const ticket = randomUUID();
      tickets.add(ticket);
      return ok({ url: `ws://${host}:${port}/link/?ticket=${ticket}` });
    }
    const authError = botAuth(token);
    if (authError) return fail(authError);
    const channel = typeof args["channel"] === "string" ? args["channel"] : "";
    switch (name) {
      case "auth.test":
        return ok({
          url: "https://standin.slack.test/",
          team: "Stand-in team",
          user: "herdctl",
          team_id: TEAM,
          user_id: BOT_USER,
          bot_id: BOT_ID,
        });
      case "chat.postMessage": {
        if (!channel) return fail("channel_not_found");
        const text = typeof args["text"] === "string" ? args["text"] : "";
        if (!text && !args["blocks"]) return fail("no_text");
        if (text.length > 40_000) return fail("msg_too_long");
        const threadTs = typeof args["thread_ts"] === "string" ? args["thread_ts"] : undefined;
        const blocks = blocksOf(args["blocks"]);
        const m = store({
          channel,
          text,
          user: BOT_USER,
          bot_id: BOT_ID,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(blocks ? { blocks } : {}),
        });
        echoBotPost(m);
        return ok({
          channel,
          ts: m.ts,
          message: { type: "message", text, user: BOT_USER, bot_id: BOT_ID, ts: m.ts },
        });
      }
      case "chat.update": {
        const m = messages.find((x) => x.channel === channel && x.ts === args["ts"] && !x.deleted);
        if (!m) return fail("message_not_found");
        if (m.user !== BOT_USER) return fail("cant_update_message");
        const text = typeof args["text"] === "string" ? args["text"] : "";
        if (text.length > 40_000) return fail("msg_too_long");
        m.text = text;
        const blocks = blocksOf(args["blocks"]);
        if (blocks) m.blocks = blocks;
        m.edits++;
        return ok({ channel, ts: m.ts, text });
      }
      case "chat.delete": {
        const m = messages.find((x) => x.channel === channel && x.ts === args["ts"] && !x.deleted);
        if (!m) return fail("message_not_found");
        m.deleted = true;
        return ok({ channel, ts: m.ts });
      }
      case "reactions.add":
      case "reactions.remove": {
        const ts = String(args["timestamp"] ?? "");
        const reaction = String(args["name"] ?? "");
        if (!messages.some((x) => x.channel === channel && x.ts === ts)) return fail("message_not_found");
        reactions.push({ channel, ts, name: reaction, removed: name === "reactions.remove" });
        return ok();
      }
      case "conversations.replies": {
        const ts = String(args["ts"] ?? "");
        const thread = conversation(messages, channel, ts);
        if (thread.length === 0) return fail("thread_not_found");
        return ok({ messages: page(thread, args["limit"], false), has_more: false });
      }
      case "conversations.history":
        return ok({
          messages: page(
            conversation(messages, channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts),
            args["limit"],
            true,
          ),
          has_more: false,
        });
      case "users.info": {
        const user = String(args["user"] ?? "");
        return ok({
          user: {
            id: user,
            name: user.toLowerCase(),
            real_name: `Stand-in user ${user}`,
            is_bot: user === BOT_USER,
          },
        });
      }
      default:
        return fail("unknown_method");
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", `http://${host}`);
    const match = /^\/api\/([A-Za-z.]+)$/.exec(url.pathname);
    if (!match?.[1]) {
      sendJson(res, 404, { ok: false, error: "unknown_method" });
      return;
    }
    const name = match[1];
    const args = await readArgs(req);
    const token = tokenOf(req, args);
    const { token: _token, ...shown } = args;
    const limited = rateLimits.get(name);
    let answer: ApiAnswer;
    if (limited && limited.left > 0) {
      limited.left--;
      answer = {
        status: 429,
        body: { ok: false, error: "ratelimited" },
        headers: { "retry-after": String(limited.retryAfter) },
      };
    } else {
      answer = await method(name, args, token);
    }
    const error = answer.body["ok"] === false ? String(answer.body["error"]) : undefined;
    calls.push({
      method: name,
      args: shown,
      status: answer.status,
      ...(error ? { error } : {}),
      at: Date.now(),
    });
    sendJson(res, answer.status, answer.body, answer.headers);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: "internal_error" });
    });
  });
  server.keepAliveTimeout = 120_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", `http://${host}`);
    const ticket = url.searchParams.get("ticket") ?? "";
    // Like Slack, a link URL is good for one connection.
    if (url.pathname !== "/link/" || !tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => open(ws));
  });

  const open = (ws: WebSocket): void => {
    connections++;
    const number = connections;
    links.set(ws, number);
    const ping = setInterval(() => ws.ping(), pingIntervalMs);
    ws.on("close", () => {
      clearInterval(ping);
      links.delete(ws);
    });
    ws.on("error", () => ws.terminate());
    ws.on("message", (data) => {
      let ack: { envelope_id?: unknown };
      try {
        ack = JSON.parse(String(data)) as { envelope_id?: unknown };
      } catch {
        return;
      }
      const envelope = envelopes.find((e) => e.envelope_id === ack.envelope_id);
      if (envelope) envelope.acked = true;
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: links.size,
        debug_info: { host: "herdctl-slack-standin", approximate_connection_time: 18060 },
        connection_info: { app_id: APP },
      }),
    );
    // Events that arrived while no link was open are delivered now, as Slack retries them.
    for (const envelope of envelopes) if (envelope.connection === 0) deliver(envelope, ws, number);
  };

  const deliver = (envelope: SlackEnvelope, ws: WebSocket, number: number): void => {
    envelope.connection = number;
    eventSeq++;
    if (envelope.interactive) {
      ws.send(
        JSON.stringify({
          envelope_id: envelope.envelope_id,
          type: "interactive",
          accepts_response_payload: true,
          payload: envelope.interactive,
        }),
      );
      return;
    }
    ws.send(
      JSON.stringify({
        envelope_id: envelope.envelope_id,
        type: "events_api",
        accepts_response_payload: false,
        retry_attempt: 0,
        retry_reason: "",
        payload: {
          token: "standin-verification-token",
          team_id: TEAM,
          api_app_id: APP,
          type: "event_callback",
          event_id: `Ev${String(eventSeq).padStart(8, "0")}`,
          event_time: Math.floor(Date.now() / 1000),
          authorizations: [{ team_id: TEAM, user_id: BOT_USER, is_bot: true, is_enterprise_install: false }],
          event: envelope.event,
        },
      }),
    );
  };

  const dispatch = (event: Record<string, unknown>, interactive?: Record<string, unknown>): void => {
    const envelope: SlackEnvelope = {
      envelope_id: randomUUID(),
      event,
      ...(interactive ? { interactive } : {}),
      connection: 0,
      acked: false,
    };
    envelopes.push(envelope);
    const live = [...links].find(([ws]) => ws.readyState === ws.OPEN);
    if (live) deliver(envelope, live[0], live[1]);
  };

  const channelType = (m: SlackUserMessage): string =>
    m.channel_type ?? (m.channel.startsWith("D") ? "im" : "channel");

  // Slack tells a bot about its own channel posts too (with bot_id): a connector must ignore them.
  const echoBotPost = (m: SlackMessage): void => {
    dispatch({
      type: "message",
      channel: m.channel,
      channel_type: m.channel.startsWith("D") ? "im" : "channel",
      user: BOT_USER,
      bot_id: BOT_ID,
      text: m.text,
      ts: m.ts,
      event_ts: m.ts,
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    });
  };

  const userMessage = (type: "app_mention" | "message", input: SlackUserMessage): string => {
    const user = input.user ?? "UHUMAN1";
    const m = store({
      channel: input.channel,
      text: input.text,
      user,
      ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}),
    });
    const base = { channel: m.channel, user, text: m.text, ts: m.ts, event_ts: m.ts, team: TEAM };
    const thread = input.thread_ts ? { thread_ts: input.thread_ts } : {};
    if (type === "app_mention") {
      dispatch({ type: "app_mention", ...base, ...thread });
      // Slack sends the plain message event as well in channels the bot reads.
      dispatch({ type: "message", channel_type: channelType(input), ...base, ...thread });
    } else {
      dispatch({ type: "message", channel_type: channelType(input), ...base, ...thread });
    }
    return m.ts;
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://${host}:${port}/api/`,
    botToken,
    appToken,
    botUserId: BOT_USER,
    botId: BOT_ID,
    teamId: TEAM,
    calls,
    messages,
    reactions,
    envelopes,
    get connections() {
      return connections;
    },
    get openConnections() {
      return links.size;
    },
    botMessages: (channel, threadTs) =>
      (channel ? conversation(messages, channel, threadTs) : messages).filter(
        (m) => m.user === BOT_USER && !m.deleted,
      ),
    mention: (m) => userMessage("app_mention", m),
    event: (event) => dispatch(event),
    click: ({ channel, ts, user, actionId, value }) => {
      const clicked = messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);
      if (!clicked) throw new Error(`no message ${ts} in ${channel} in the Slack stand-in`);
      dispatch(
        {},
        {
          type: "block_actions",
          user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM },
          api_app_id: APP,
          token: "standin-verification-token",
          container: { type: "message", message_ts: ts, channel_id: channel, is_ephemeral: false },
          trigger_id: `trigger-${randomUUID()}`,
          team: { id: TEAM, domain: "standin" },
          channel: { id: channel, name: channel.toLowerCase() },
          message: { type: "message", ...clicked },
          actions: [
            {
              type: "button",
              action_id: actionId,
              block_id: "herdctl",
              value,
              action_ts: String(Date.now() / 1000),
            },
          ],
        },
      );
    },
    sendRaw: (text) => {
      for (const ws of links.keys()) ws.send(text);
    },
    say: (m) => userMessage("message", m),
    rateLimit: (name, retryAfterSeconds, count = 1) => {
      rateLimits.set(name, { retryAfter: retryAfterSeconds, left: count });
    },
    revokeBotToken: (error = "token_revoked") => {
      botTokenError = error;
    },
    revokeAppToken: (error = "token_revoked") => {
      appTokenError = error;
    },
    dropSockets: () => {
      for (const ws of links.keys()) ws.terminate();
    },
    requestReconnect: (reason = "refresh_requested") => {
      for (const ws of links.keys())
        ws.send(
          JSON.stringify({ type: "disconnect", reason, debug_info: { host: "herdctl-slack-standin" } }),
        );
    },
    close: async () => {
      for (const ws of links.keys()) ws.terminate();
      wss.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Blocks as the Web API takes them: a JSON array, or its text in a form-encoded call. */
function blocksOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== "string") return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
