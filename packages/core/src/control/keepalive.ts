import type { Context } from "hono";
import { stream } from "hono/streaming";

/**
 * A followed job can be silent for minutes (the model thinks, a tool runs), so a follower cannot
 * tell a quiet job from a dead daemon by waiting for lines. Every open NDJSON stream therefore
 * carries a blank line this often; NDJSON readers skip blank lines.
 */
export const KEEPALIVE_INTERVAL_MS = 2_000;

/** A follower that hears nothing, not even a keep-alive, for this long treats the daemon as hung. */
export const DAEMON_SILENCE_LIMIT_MS = 5 * KEEPALIVE_INTERVAL_MS;

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
