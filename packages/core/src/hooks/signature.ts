import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures, shared by outbound webhook hooks, the web server's inbound webhooks and
 * `herdctl webhook send`.
 *
 * herdctl's own scheme signs the timestamp with the body, as Slack and Stripe do:
 * `X-Herdctl-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
 * `X-Herdctl-Timestamp: <unix seconds>`. A receiver refuses a timestamp outside its window and
 * remembers the signatures it accepted within it, so a captured request cannot be replayed.
 *
 * GitHub's scheme (`X-Hub-Signature-256`) signs the body alone; it is accepted for schedules that
 * ask for it, with replays refused by GitHub's unique `X-GitHub-Delivery` id.
 */
export const SIGNATURE_HEADER = "x-herdctl-signature";
export const TIMESTAMP_HEADER = "x-herdctl-timestamp";
export const GITHUB_SIGNATURE_HEADER = "x-hub-signature-256";
export const GITHUB_DELIVERY_HEADER = "x-github-delivery";

/** How far a signed timestamp may be from the receiver's clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const PREFIX = "sha256=";

function hmac(secret: string, ...parts: (string | Uint8Array)[]): Buffer {
  const mac = createHmac("sha256", secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** GitHub's scheme: the body alone. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return PREFIX + hmac(secret, body).toString("hex");
}

/** herdctl's scheme: `<timestamp>.<body>`, the timestamp in whole seconds since the epoch. */
export function signTimestamped(body: string | Uint8Array, secret: string, timestamp: number): string {
  return PREFIX + hmac(secret, `${timestamp}.`, body).toString("hex");
}

/** The headers a herdctl-scheme request carries, signed at `now`. */
export function timestampedHeaders(
  body: string | Uint8Array,
  secret: string,
  now: Date = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signTimestamped(body, secret, timestamp),
  };
}

function matches(expected: Buffer, header: string | null | undefined): boolean {
  if (typeof header !== "string" || !header.startsWith(PREFIX)) return false;
  const hex = header.slice(PREFIX.length);
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  return timingSafeEqual(expected, Buffer.from(hex, "hex"));
}

/** Constant-time check of a body-only signature. An empty secret never verifies. */
export function verifySignature(
  body: string | Uint8Array,
  secret: string,
  header: string | null | undefined,
): boolean {
  if (!secret) return false;
  return matches(hmac(secret, body), header);
}

export type TimestampedCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: "missing_timestamp" | "bad_signature" | "stale"; skewSeconds?: number };

/**
 * Checks a herdctl-scheme request: the signature first (so an unsigned guess learns nothing about
 * the clock), then the timestamp against `now` ± the tolerance.
 */
export function verifyTimestamped(
  body: string | Uint8Array,
  secret: string,
  headers: { signature: string | null | undefined; timestamp: string | null | undefined },
  now: Date = new Date(),
): TimestampedCheck {
  const text = headers.timestamp?.trim() ?? "";
  if (!/^\d{1,12}$/.test(text)) return { ok: false, reason: "missing_timestamp" };
  const timestamp = Number(text);
  if (!secret || !matches(hmac(secret, `${timestamp}.`, body), headers.signature))
    return { ok: false, reason: "bad_signature" };
  const skewSeconds = Math.round(now.getTime() / 1000 - timestamp);
  if (Math.abs(skewSeconds) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "stale", skewSeconds };
  return { ok: true, timestamp };
}
