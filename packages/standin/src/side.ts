import type { ServerResponse } from "node:http";
import type { SideReason } from "./classify.js";
import { apiErrorBody } from "./errors.js";
import type { RecordedRequest } from "./recorder.js";
import { sendJson, writeTurn } from "./reply.js";
import { estimateTokens, type MessageMeta } from "./sse.js";

/** Canned text for helper calls: short, obviously synthetic, in the shape each helper parses. */
export const SIDE_REPLY_TEXT: Readonly<Record<string, string>> = {
  "session-title": '{"title":"herdctl stand-in"}',
  "session-name": "herdctl-stand-in",
  "tool-summary": "Ran stand-in tools",
  "quota-probe": "ok",
};

/** Answers a side request without consulting the responder. */
export function sideReply(
  res: ServerResponse,
  req: RecordedRequest,
  reason: SideReason,
  meta: MessageMeta,
  requestId: string,
): void {
  const headers = { "request-id": requestId };
  switch (reason) {
    case "connectivity-check":
      res.writeHead(200, { "content-type": "text/plain", ...headers });
      res.end(req.method === "HEAD" ? undefined : "ok");
      return;
    case "count-tokens":
      sendJson(res, 200, { input_tokens: estimateTokens(req.rawBody) }, headers);
      return;
    case "unknown-route":
      sendJson(
        res,
        404,
        apiErrorBody(404, `No route for ${req.method} ${req.pathname} on the herdctl stand-in.`),
        headers,
      );
      return;
    default:
      void writeTurn(
        res,
        { kind: "text", text: SIDE_REPLY_TEXT[reason] ?? "ok" },
        meta,
        req.stream,
        requestId,
      );
  }
}
