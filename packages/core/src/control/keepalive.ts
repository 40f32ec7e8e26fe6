import type { Context } from "hono";
import { stream } from "hono/streaming";
import { KEEPALIVE_INTERVAL_MS } from "./silence.js";

/**
 * An NDJSON response that stays open while `produce` runs, with keep-alive lines in the silences.
 * `signal` aborts when the client goes away (or the server drops the connection at shutdown).
 */
export function ndjsonStream(
  c: Context,
  produce: (write: (line: string) => Promise<void>, signal: AbortSignal) => Promise<void>,
): Response {
  c.header("content-type", "application/x-ndjson; charset=utf-8");
  c.header("cache-control", "no-store");
  return stream(c, async (s) => {
    const controller = new AbortController();
    s.onAbort(() => controller.abort());
    // The first keep-alive goes at once: it sends the headers, so the client knows it was heard.
    void s.write("\n");
    const keepalive = setInterval(() => void s.write("\n"), KEEPALIVE_INTERVAL_MS);
    keepalive.unref();
    try {
      await produce(async (line) => void (await s.write(line)), controller.signal);
    } finally {
      clearInterval(keepalive);
    }
  });
}
