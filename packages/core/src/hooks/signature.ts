import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures, shared by outbound webhook hooks and the web server's inbound webhooks.
 *
 * The signature is `sha256=<hex HMAC-SHA256 of the exact body bytes>`, the same scheme GitHub
 * uses for X-Hub-Signature-256, so receivers can reuse code they already trust. There is no
 * timestamp header: an unsigned timestamp protects nothing, and a signed one would break that
 * compatibility. Receivers that care about replays deduplicate on `job.id` + `event`, which the
 * signed body carries.
 */
export const SIGNATURE_HEADER = "x-herdctl-signature";

const PREFIX = "sha256=";

export function signBody(body: string | Uint8Array, secret: string): string {
  return PREFIX + createHmac("sha256", secret).update(body).digest("hex");
}

/** Constant-time check of a signature header against the body. An empty secret never verifies. */
export function verifySignature(
  body: string | Uint8Array,
  secret: string,
  header: string | null | undefined,
): boolean {
  if (!secret || typeof header !== "string" || !header.startsWith(PREFIX)) return false;
  const hex = header.slice(PREFIX.length);
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, "hex"));
}
