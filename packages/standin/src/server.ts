import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { apiErrorBody } from "./errors.js";
import { RecordedRequest } from "./recorder.js";
import { sendJson, writeTurn } from "./reply.js";
import { textReply } from "./script.js";
import { sideReply } from "./side.js";
import { estimateTokens, type MessageMeta } from "./sse.js";
import { isFault, type Responder, type ResponderContext, type Turn } from "./types.js";
import { type UsageLimit, writeUsageLimited } from "./usage-limit.js";

export interface StandinOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  responder?: Responder;
  /** After this many assistant turns in one conversation every reply is a plain final text. */
  maxTurnsPerConversation?: number;
}

export interface Standin {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Every request received, side requests included, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Only the conversation requests: the ones the responder answered. */
  readonly mainRequests: RecordedRequest[];
  setResponder(responder: Responder): void;
  /**
   * Answers every model request 429 with the real API's limit headers until `limit.until`, then
   * replies normally again (see usage-limit.ts). Requests refused this way are recorded with
   * `limited` set; undefined lifts a limit at once.
   */
  limitUsage(limit: UsageLimit | undefined): void;
  /** Stops listening and destroys open sockets (hanging replies included). */
  close(): Promise<void>;
}

export const DEFAULT_MAX_TURNS = 25;

export function turnLimitText(limit: number): string {
  return `The herdctl stand-in stopped this conversation after ${limit} assistant turns.`;
}

/** Fallback when no responder is set: name the stand-in so a misconfigured run is obvious. */
const DEFAULT_RESPONDER: Responder = () => textReply("Reply from the herdctl stand-in (no responder set).");

export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const host = options.host ?? "127.0.0.1";
  const maxTurns = options.maxTurnsPerConversation ?? DEFAULT_MAX_TURNS;
  let responder = options.responder ?? DEFAULT_RESPONDER;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  // conversationKey -> faults served, per assistant-turn position and in total
  const faults = new Map<string, { total: number; byPosition: Map<number, number> }>();
  let counter = 0;
  let usageLimit: UsageLimit | undefined;

  const nextMeta = (req: RecordedRequest): MessageMeta => {
    counter++;
    const n = String(counter).padStart(6, "0");
    return {
      id: `msg_standin_${n}`,
      toolUseId: `toolu_standin_${n}`,
      model: req.model ?? "claude-standin",
      inputTokens: estimateTokens(JSON.stringify(req.body?.["messages"] ?? "") + req.systemText),
    };
  };

  const chooseTurn = async (req: RecordedRequest): Promise<Turn> => {
    const key = req.conversationKey;
    const record = faults.get(key) ?? { total: 0, byPosition: new Map<number, number>() };
    faults.set(key, record);
    const position = req.assistantTurns;
    if (position >= maxTurns) return textReply(turnLimitText(maxTurns));
    const ctx: ResponderContext = {
      assistantTurns: position,
      conversationKey: key,
      faultsAtPosition: record.byPosition.get(position) ?? 0,
      faultsInConversation: record.total,
    };
    const turn = await responder(req, ctx);
    if (isFault(turn)) {
      record.total++;
      record.byPosition.set(position, ctx.faultsAtPosition + 1);
    }
    return turn;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const rec = new RecordedRequest(requests.length, req.method ?? "GET", req.url ?? "/", req.headers, raw);
    requests.push(rec);
    const requestId = `req_standin_${String(rec.index).padStart(6, "0")}`;
    const now = new Date();
    if (usageLimit && now < usageLimit.until && rec.pathname === "/v1/messages") {
      rec.limited = true;
      writeUsageLimited(res, usageLimit, requestId, now);
      return;
    }
    if (rec.class.kind === "side") {
      sideReply(res, rec, rec.class.reason, nextMeta(rec), requestId);
      return;
    }
    if (rec.body === undefined) {
      sendJson(res, 400, apiErrorBody(400, "Request body must be a JSON object."), {
        "request-id": requestId,
      });
      return;
    }
    let turn: Turn;
    try {
      turn = await chooseTurn(rec);
    } catch (err) {
      // 400 is not retried by clients, so a broken responder fails the run at once.
      const message = `The stand-in responder threw: ${err instanceof Error ? err.message : String(err)}`;
      sendJson(res, 400, apiErrorBody(400, message), { "request-id": requestId });
      return;
    }
    rec.turn = turn;
    await writeTurn(res, turn, nextMeta(rec), rec.stream, requestId);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, apiErrorBody(500, String(err)));
        else res.destroy();
      });
    });
  });
  // Node closes an idle keep-alive connection after 5 s; a client that sends its next request on it
  // at that moment gets ECONNRESET, and a busy event loop widens that window (seen under the load
  // fault test). Anthropic's API keeps connections far longer, so the stand-in does too; close()
  // still ends every connection at once.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    get mainRequests() {
      return requests.filter((r) => r.class.kind === "main");
    },
    setResponder(r: Responder) {
      responder = r;
    },
    limitUsage(limit: UsageLimit | undefined) {
      usageLimit = limit;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
