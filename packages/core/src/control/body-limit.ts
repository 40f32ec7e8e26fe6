import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { apiError } from "./api-errors.js";

/**
 * Room for the largest request the API accepts: a trigger with a 1,000,000-character prompt,
 * JSON-escaped. Anything bigger is refused before it is buffered.
 */
export const API_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * Refuses a body over `maxBytes` with 413: a declared Content-Length is judged before a byte is
 * read, and a chunked body is counted as it streams in and dropped at the limit, so an oversized
 * upload never sits in memory. What the client sends after the answer is read and dropped, up to
 * a bound, then the connection is cut (@hono/node-server does this): answering and closing at
 * once would make many clients fail with EPIPE before they read the 413.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      apiError(
        c,
        413,
        "PAYLOAD_TOO_LARGE",
        `the request body is over the ${maxBytes}-byte limit for ${c.req.method} ${c.req.path}; send a smaller one`,
      ),
  });
}
