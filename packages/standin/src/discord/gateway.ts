import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import type { DiscordUser } from "./objects.js";

/** Discord's gateway opcodes and the close code for a refused token. */
export const OP = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  presenceUpdate: 3,
  resume: 6,
  reconnect: 7,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;
export const CLOSE_AUTHENTICATION_FAILED = 4004;
/** Without this intent Discord blanks the text of guild messages that do not mention the bot. */
export const MESSAGE_CONTENT_INTENT = 1 << 15;

interface Payload {
  op: number;
  d: unknown;
  s?: number | null;
  t?: string | null;
}

/** One gateway session: survives its connection dropping, so a client can resume it. */
export interface GatewaySession {
  readonly id: string;
  readonly bot: DiscordUser;
  readonly intents: number;
  seq: number;
  /** Every dispatch of the session, for replay on resume. */
  readonly sent: Payload[];
  socket: WebSocket | undefined;
}

/** What the gateway saw, for tests to assert on. */
export interface GatewayRecord {
  identifies: Array<{ bot: string; intents: number; presence: unknown }>;
  resumes: Array<{ bot: string; replayed: number }>;
  refused: number;
  heartbeats: number;
  presenceUpdates: unknown[];
}

export interface GatewayDeps {
  heartbeatIntervalMs: number;
  botForToken(token: unknown): DiscordUser | undefined;
  resumeUrl(): string;
  /** READY's extra dispatches after it (GUILD_CREATE per guild). */
  onReady(session: GatewaySession): void;
}

/** The gateway side of the Discord stand-in: hello, identify, ready, heartbeats, dispatch, resume. */
export class Gateway {
  readonly sessions = new Map<string, GatewaySession>();
  readonly record: GatewayRecord = {
    identifies: [],
    resumes: [],
    refused: 0,
    heartbeats: 0,
    presenceUpdates: [],
  };
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly deps: GatewayDeps) {}

  accept(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("message", (data) => {
      let payload: Payload;
      try {
        payload = JSON.parse(String(data)) as Payload;
      } catch {
        socket.close(4002, "Error while decoding payload.");
        return;
      }
      this.receive(socket, payload);
    });
    send(socket, { op: OP.hello, d: { heartbeat_interval: this.deps.heartbeatIntervalMs } });
  }

  /** Sends an event to the bot's live session (kept for replay if its connection is down). */
  dispatch(botId: string, type: string, data: unknown, filter?: (session: GatewaySession) => unknown): void {
    for (const session of this.sessions.values()) {
      if (session.bot.id !== botId) continue;
      this.push(session, type, filter ? filter(session) : data);
    }
  }

  /** Cuts every connection without a close frame, as a network failure would; sessions stay resumable. */
  drop(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  /** Tells every connected client its session is gone: it must identify again. */
  invalidate(): void {
    for (const session of this.sessions.values()) {
      if (session.socket) send(session.socket, { op: OP.invalidSession, d: false });
      this.sessions.delete(session.id);
    }
  }

  close(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  private push(session: GatewaySession, type: string, data: unknown): void {
    const payload = { op: OP.dispatch, t: type, s: ++session.seq, d: data };
    session.sent.push(payload);
    if (session.socket?.readyState === 1) send(session.socket, payload);
  }

  private receive(socket: WebSocket, payload: Payload): void {
    const d = (payload.d ?? {}) as Record<string, unknown>;
    switch (payload.op) {
      case OP.heartbeat:
        this.record.heartbeats++;
        send(socket, { op: OP.heartbeatAck, d: null });
        return;
      case OP.identify: {
        const bot = this.deps.botForToken(d.token);
        if (!bot) {
          this.record.refused++;
          socket.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.");
          return;
        }
        const intents = typeof d.intents === "number" ? d.intents : 0;
        this.record.identifies.push({ bot: bot.id, intents, presence: d.presence ?? null });
        const session: GatewaySession = { id: randomUUID(), bot, intents, seq: 0, sent: [], socket };
        this.sessions.set(session.id, session);
        socket.on("close", () => {
          if (session.socket === socket) session.socket = undefined;
        });
        this.push(session, "READY", {
          v: 10,
          user: bot,
          guilds: [],
          session_id: session.id,
          resume_gateway_url: this.deps.resumeUrl(),
          shard: [0, 1],
          application: { id: bot.id, flags: 0 },
        });
        this.deps.onReady(session);
        return;
      }
      case OP.resume: {
        const session = typeof d.session_id === "string" ? this.sessions.get(d.session_id) : undefined;
        const bot = this.deps.botForToken(d.token);
        if (!bot) {
          this.record.refused++;
          socket.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.");
          return;
        }
        if (!session || session.bot.id !== bot.id) {
          send(socket, { op: OP.invalidSession, d: false });
          return;
        }
        session.socket = socket;
        socket.on("close", () => {
          if (session.socket === socket) session.socket = undefined;
        });
        const since = typeof d.seq === "number" ? d.seq : 0;
        const missed = session.sent.filter((p) => (p.s ?? 0) > since);
        for (const p of missed) send(socket, p);
        this.record.resumes.push({ bot: bot.id, replayed: missed.length });
        this.push(session, "RESUMED", {});
        return;
      }
      case OP.presenceUpdate:
        this.record.presenceUpdates.push(payload.d);
        return;
      default:
        socket.close(4001, "Unknown opcode.");
    }
  }
}

function send(socket: WebSocket, payload: Payload): void {
  socket.send(JSON.stringify({ s: null, t: null, ...payload }));
}
