import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import { Gateway, type GatewayRecord, type GatewaySession, MESSAGE_CONTENT_INTENT } from "./gateway.js";
import {
  CHANNEL_TYPES,
  type DiscordChannel,
  type DiscordMessage,
  type DiscordUser,
  dmChannel,
  guild,
  message,
  snowflake,
  textChannel,
  thread,
  user,
} from "./objects.js";

/** Discord refuses a message longer than this. */
export const DISCORD_MESSAGE_LIMIT = 2000;

export interface DiscordStandinOptions {
  host?: string;
  /** The interval the gateway's hello asks for (Discord's is about 41 s). */
  heartbeatIntervalMs?: number;
}

/** One REST request the stand-in answered. */
export interface DiscordRequest {
  method: string;
  /** Without the /api/v10 prefix, e.g. /channels/123/messages. */
  path: string;
  status: number;
  at: number;
  body: unknown;
}

/** An interaction's callback, as the bot answered a click. */
export interface DiscordInteractionReply {
  interactionId: string;
  /** 4: a new message (flags 64: only the clicker sees it); 6: acknowledged; 7: the clicked message edited. */
  type: number;
  data: { content?: string; flags?: number; components?: unknown[] } | undefined;
}

export interface DiscordGuild {
  id: string;
  name: string;
  channels: DiscordChannel[];
}

/**
 * A protocol-level Discord stand-in for tests: the REST routes a bot uses and the gateway
 * WebSocket. Point discord.js at it with `rest: { api: standin.apiUrl }`; the gateway's address
 * comes from GET /gateway/bot, as from Discord.
 */
export interface DiscordStandin {
  readonly url: string;
  /** discord.js's REST `api` option. */
  readonly apiUrl: string;
  readonly requests: DiscordRequest[];
  readonly gateway: GatewayRecord;
  /** A bot the stand-in accepts `token` for. */
  addBot(token: string, username: string): DiscordUser;
  /**
   * Revokes a bot's token: REST answers 401 and the gateway closes with 4004; with "gateway",
   * only the gateway refuses it (a token revoked between fetching the gateway and identifying).
   */
  revoke(token: string, where?: "everywhere" | "gateway"): void;
  addGuild(name: string, channelNames: string[]): DiscordGuild;
  addThread(channelId: string, name: string): DiscordChannel;
  /** A chat user writes in a channel (or thread); `mention` puts the bot's mention first. */
  say(
    channelId: string,
    author: DiscordUser,
    content: string,
    options?: { mention?: DiscordUser },
  ): DiscordMessage;
  /** A chat user sends the bot a direct message. */
  dm(bot: DiscordUser, author: DiscordUser, content: string): DiscordMessage;
  /**
   * A chat user clicks a button of a bot's message: INTERACTION_CREATE (message component) to the
   * bot that posted it. `customId` is sent as given, so a test can forge one. Returns the
   * interaction's id, to find the bot's answer in `interactionReplies`.
   */
  click(channelId: string, messageId: string, clicker: DiscordUser, customId: string): string;
  /** Every interaction callback, in order. */
  readonly interactionReplies: DiscordInteractionReply[];
  /** A channel's messages, oldest first, as last edited. */
  messages(channelId: string): DiscordMessage[];
  /** The DM channel between a bot and a user, once one exists. */
  dmChannelOf(bot: DiscordUser, person: DiscordUser): DiscordChannel | undefined;
  /** When the bot said it was typing in a channel (ms since the epoch). */
  typing(channelId: string): number[];
  /** The next `times` requests matching get 429 with Retry-After. */
  rateLimit(match: { method: string; path: RegExp }, retryAfterMs: number, times?: number): void;
  /** Cuts every gateway connection without a close frame; sessions stay resumable. */
  dropConnections(): void;
  /** Invalidates every gateway session (op 9): clients must identify again. */
  invalidateSessions(): void;
  close(): Promise<void>;
}

export function discordUser(username: string): DiscordUser {
  return user(snowflake(), username);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { "content-type": "application/json" } : {}),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startDiscordStandin(options: DiscordStandinOptions = {}): Promise<DiscordStandin> {
  const host = options.host ?? "127.0.0.1";
  const bots = new Map<string, DiscordUser>();
  const revoked = new Set<string>();
  const refusedAtGateway = new Set<string>();
  const guilds = new Map<string, DiscordGuild & { threads: DiscordChannel[] }>();
  const channels = new Map<string, DiscordChannel>();
  const stored = new Map<string, DiscordMessage[]>();
  const typingAt = new Map<string, number[]>();
  const requests: DiscordRequest[] = [];
  const interactionReplies: DiscordInteractionReply[] = [];
  const interactionTokens = new Map<string, { token: string; channelId: string; messageId: string }>();
  const limits: Array<{ method: string; path: RegExp; retryAfterMs: number; left: number }> = [];
  const sockets = new Set<Socket>();
  let base = "";

  const botForToken = (token: unknown) =>
    typeof token === "string" && !revoked.has(token.replace(/^Bot /, ""))
      ? bots.get(token.replace(/^Bot /, ""))
      : undefined;

  const gateway = new Gateway({
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    botForToken: (token) => (refusedAtGateway.has(String(token)) ? undefined : botForToken(token)),
    resumeUrl: () => `${base.replace(/^http/, "ws")}/gateway`,
    onReady: (session: GatewaySession) => {
      for (const g of guilds.values())
        gateway.dispatch(session.bot.id, "GUILD_CREATE", guild(g.id, g.name, "1", g.channels, g.threads));
    },
  });

  const store = (m: DiscordMessage) => {
    const list = stored.get(m.channel_id) ?? [];
    list.push(m);
    stored.set(m.channel_id, list);
    return m;
  };

  /** MESSAGE_CREATE as each bot's session receives it: without the intent, others' text is blank. */
  const deliver = (m: DiscordMessage, to: DiscordUser[]) => {
    for (const bot of to) {
      if (bot.id === m.author.id) continue;
      gateway.dispatch(bot.id, "MESSAGE_CREATE", m, (session) => {
        const visible =
          (session.intents & MESSAGE_CONTENT_INTENT) !== 0 ||
          !m.guild_id ||
          m.mentions.some((u) => u.id === session.bot.id);
        return visible ? m : { ...m, content: "" };
      });
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", base);
    const path = url.pathname.replace(/^\/api(\/v\d+)?/, "");
    const method = req.method ?? "GET";
    const body = method === "GET" ? undefined : await readBody(req);
    const answer = (status: number, payload?: unknown, headers?: Record<string, string>) => {
      requests.push({ method, path, status, at: Date.now(), body });
      json(res, status, payload, headers);
    };
    // An interaction's callback is authorised by its token in the path, not by the bot's token.
    const callback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (callback && method === "POST") {
      const known = interactionTokens.get(callback[1]!);
      if (!known || known.token !== callback[2])
        return answer(404, { message: "Unknown interaction", code: 10062 });
      interactionTokens.delete(callback[1]!);
      const reply = body as { type?: unknown; data?: DiscordInteractionReply["data"] };
      interactionReplies.push({ interactionId: callback[1]!, type: Number(reply?.type), data: reply?.data });
      const clicked = (stored.get(known.channelId) ?? []).find((x) => x.id === known.messageId);
      if (Number(reply?.type) === 7 && clicked) {
        if (typeof reply.data?.content === "string") clicked.content = reply.data.content;
        if (Array.isArray(reply.data?.components)) clicked.components = reply.data.components;
        clicked.edited_timestamp = new Date().toISOString();
      }
      return answer(204);
    }
    const bot = botForToken(req.headers.authorization);
    if (!bot) return answer(401, { message: "401: Unauthorized", code: 0 });
    const limit = limits.find((l) => l.left > 0 && l.method === method && l.path.test(path));
    if (limit) {
      limit.left--;
      const seconds = String(limit.retryAfterMs / 1000);
      return answer(
        429,
        { message: "You are being rate limited.", retry_after: limit.retryAfterMs / 1000, global: false },
        {
          "retry-after": seconds,
          "x-ratelimit-limit": "5",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset-after": seconds,
          "x-ratelimit-scope": "user",
        },
      );
    }
    const one = /^\/channels\/(\d+)$/.exec(path);
    const typing = /^\/channels\/(\d+)\/typing$/.exec(path);
    const list = /^\/channels\/(\d+)\/messages$/.exec(path);
    const single = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (method === "GET" && (path === "/gateway/bot" || path === "/gateway"))
      return answer(200, {
        url: `${base.replace(/^http/, "ws")}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    if (method === "GET" && path === "/users/@me") return answer(200, bot);
    if (method === "POST" && path === "/users/@me/channels") {
      const recipient = String((body as { recipient_id?: unknown })?.recipient_id ?? "");
      const found = [...channels.values()].find(
        (c) => c.type === CHANNEL_TYPES.dm && c.recipients?.[0]?.id === recipient && c.bot === bot.id,
      );
      if (found) return answer(200, found);
      const channel = { ...dmChannel(snowflake(), user(recipient, `user-${recipient}`)), bot: bot.id };
      channels.set(channel.id, channel);
      return answer(200, channel);
    }
    if (one && method === "GET") {
      const channel = channels.get(one[1]!);
      return channel ? answer(200, channel) : answer(404, { message: "Unknown Channel", code: 10003 });
    }
    if (typing && method === "POST") {
      typingAt.set(typing[1]!, [...(typingAt.get(typing[1]!) ?? []), Date.now()]);
      return answer(204);
    }
    if (list) {
      const channel = channels.get(list[1]!);
      if (!channel) return answer(404, { message: "Unknown Channel", code: 10003 });
      if (method === "GET") {
        const limitN = Math.min(100, Number(url.searchParams.get("limit") ?? 50));
        const before = url.searchParams.get("before");
        const earlier = (stored.get(channel.id) ?? []).filter(
          (x) => !before || BigInt(x.id) < BigInt(before),
        );
        return answer(200, earlier.slice(-limitN).reverse());
      }
      if (method === "POST") {
        const content = String((body as { content?: unknown })?.content ?? "");
        if (content.length > DISCORD_MESSAGE_LIMIT)
          return answer(400, {
            message: "Invalid Form Body",
            code: 50035,
            errors: {
              content: {
                _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." }],
              },
            },
          });
        const components = (body as { components?: unknown })?.components;
        const posted = message(channel, bot, content, []);
        if (Array.isArray(components)) posted.components = components;
        return answer(200, store(posted));
      }
    }
    if (single && method === "PATCH") {
      const found = (stored.get(single[1]!) ?? []).find((x) => x.id === single[2]);
      if (!found) return answer(404, { message: "Unknown Message", code: 10008 });
      const content = (body as { content?: unknown })?.content;
      if (typeof content === "string") {
        if (content.length > DISCORD_MESSAGE_LIMIT)
          return answer(400, { message: "Invalid Form Body", code: 50035 });
        found.content = content;
      }
      const components = (body as { components?: unknown })?.components;
      if (Array.isArray(components)) found.components = components;
      found.edited_timestamp = new Date().toISOString();
      return answer(200, found);
    }
    return answer(404, { message: "404: Not Found", code: 0 });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: Error) => json(res, 500, { message: error.message }));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    if (!(req.url ?? "").startsWith("/gateway")) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => gateway.accept(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://${host}:${port}`;

  return {
    url: base,
    apiUrl: `${base}/api`,
    requests,
    gateway: gateway.record,
    addBot(token, username) {
      const bot = user(snowflake(), username, true);
      bots.set(token, bot);
      return bot;
    },
    revoke(token, where = "everywhere") {
      (where === "gateway" ? refusedAtGateway : revoked).add(token);
    },
    addGuild(name, channelNames) {
      const id = snowflake();
      const list = channelNames.map((n) => textChannel(snowflake(), id, n));
      for (const c of list) channels.set(c.id, c);
      const g = { id, name, channels: list, threads: [] as DiscordChannel[] };
      guilds.set(id, g);
      return { id, name, channels: list };
    },
    addThread(channelId, name) {
      const parent = channels.get(channelId);
      if (!parent?.guild_id) throw new Error(`no guild channel ${channelId} in the Discord stand-in`);
      const t = thread(snowflake(), parent.guild_id, parent.id, name, "1");
      channels.set(t.id, t);
      guilds.get(parent.guild_id)!.threads.push(t);
      for (const bot of bots.values()) gateway.dispatch(bot.id, "THREAD_CREATE", t);
      return t;
    },
    say(channelId, author, content, opts = {}) {
      const channel = channels.get(channelId);
      if (!channel) throw new Error(`no channel ${channelId} in the Discord stand-in`);
      const text = opts.mention ? `<@${opts.mention.id}> ${content}` : content;
      const m = store(message(channel, author, text, opts.mention ? [opts.mention] : []));
      deliver(m, [...bots.values()]);
      return m;
    },
    dm(bot, author, content) {
      let channel = [...channels.values()].find(
        (c) => c.type === CHANNEL_TYPES.dm && c.recipients?.[0]?.id === author.id && c.bot === bot.id,
      );
      if (!channel) {
        channel = { ...dmChannel(snowflake(), author), bot: bot.id };
        channels.set(channel.id, channel);
      }
      const m = store(message(channel, author, content, []));
      deliver(m, [bot]);
      return m;
    },
    click(channelId, messageId, clicker, customId) {
      const channel = channels.get(channelId);
      const clicked = (stored.get(channelId) ?? []).find((x) => x.id === messageId);
      if (!channel || !clicked) throw new Error(`no message ${messageId} in channel ${channelId}`);
      const id = snowflake();
      const token = `interaction-token-${id}`;
      interactionTokens.set(id, { token, channelId, messageId });
      const inGuild = channel.guild_id !== undefined;
      gateway.dispatch(clicked.author.id, "INTERACTION_CREATE", {
        id,
        application_id: clicked.author.id,
        type: 3,
        token,
        version: 1,
        channel_id: channelId,
        channel,
        ...(inGuild
          ? {
              guild_id: channel.guild_id,
              member: { user: clicker, roles: [], joined_at: new Date().toISOString(), permissions: "0" },
            }
          : { user: clicker }),
        message: clicked,
        data: { custom_id: customId, component_type: 2 },
        entitlements: [],
        // 0: installed in the guild; 1: installed for the user (a DM).
        authorizing_integration_owners: inGuild ? { "0": channel.guild_id } : { "1": clicker.id },
        context: inGuild ? 0 : 1,
        app_permissions: "0",
        locale: "en-US",
      });
      return id;
    },
    interactionReplies,
    messages: (channelId) => [...(stored.get(channelId) ?? [])],
    dmChannelOf: (bot, person) =>
      [...channels.values()].find(
        (c) => c.type === CHANNEL_TYPES.dm && c.recipients?.[0]?.id === person.id && c.bot === bot.id,
      ),
    typing: (channelId) => [...(typingAt.get(channelId) ?? [])],
    rateLimit(match, retryAfterMs, times = 1) {
      limits.push({ ...match, retryAfterMs, left: times });
    },
    dropConnections: () => gateway.drop(),
    invalidateSessions: () => gateway.invalidate(),
    async close() {
      gateway.close();
      wss.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
