import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { apiError } from "./api-errors.js";

/**
 * Room for the largest request the API accepts: a trigger with a 1,000,000-character prompt,
 * JSON-escaped. Anything bigger is refused before it is buffered.
 */
export const API_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * Refuses a body over `maxBytes` with 413 before it is buffered. A declared Content-Length is
 * judged from the header alone: touching the body would attach a reader to the request, and Node
 * could then no longer drop the unread rest, which keeps the connection usable (a client that is
 * still sending sees its 413 rather than a reset). A chunked body is counted as it streams in and
 * dropped at the limit.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    apiError(
      c,
      413,
      "PAYLOAD_TOO_LARGE",
      `the request body is over the ${maxBytes}-byte limit for ${c.req.method} ${c.req.path}; send a smaller one`,
    );
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number(declared) > maxBytes) return tooLarge(c);
      return next();
    }
    return streamed(c, next);
  };
}
