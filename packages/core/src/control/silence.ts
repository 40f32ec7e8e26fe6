// Kept apart from the server's streaming code: the client needs these numbers, not hono.

/**
 * A followed job can be silent for minutes (the model thinks, a tool runs), so a follower cannot
 * tell a quiet job from a dead daemon by waiting for lines. Every open NDJSON stream therefore
 * carries a blank line this often; NDJSON readers skip blank lines.
 */
export const KEEPALIVE_INTERVAL_MS = 2_000;

/** A follower that hears nothing, not even a keep-alive, for this long treats the daemon as hung. */
export const DAEMON_SILENCE_LIMIT_MS = 5 * KEEPALIVE_INTERVAL_MS;
