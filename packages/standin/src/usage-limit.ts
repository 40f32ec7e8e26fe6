import type { ServerResponse } from "node:http";
import { apiErrorBody } from "./errors.js";
import { sendJson } from "./reply.js";

/**
 * A usage limit the stand-in enforces until `until`: every model request (side requests included,
 * as the real API counts them) is answered 429 with the headers the real API sends, then normal
 * replies resume on their own.
 */
export interface UsageLimit {
  readonly until: Date;
  /**
   * "subscription" adds the unified-limit headers a Claude subscription gets (claude turns them
   * into "You've hit your 5-hour limit · resets …" and a rate_limit_event); "api_key" sends only
   * the per-key rate-limit headers. Both send retry-after.
   */
  readonly kind: "subscription" | "api_key";
}

export const USAGE_LIMIT_MESSAGE =
  "This request would exceed your account's rate limit. Please try again later.";

/** The 429's headers at `now`: retry-after in whole seconds (at least 1), resets as the API writes them. */
export function usageLimitHeaders(limit: UsageLimit, now: Date): Record<string, string> {
  const seconds = Math.max(1, Math.ceil((limit.until.getTime() - now.getTime()) / 1000));
  const iso = new Date(Math.floor(limit.until.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const headers: Record<string, string> = {
    "retry-after": String(seconds),
    "anthropic-ratelimit-requests-remaining": "0",
    "anthropic-ratelimit-requests-reset": iso,
    "anthropic-ratelimit-tokens-remaining": "0",
    "anthropic-ratelimit-tokens-reset": iso,
  };
  if (limit.kind === "subscription") {
    const epoch = String(Math.ceil(limit.until.getTime() / 1000));
    Object.assign(headers, {
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": epoch,
      "anthropic-ratelimit-unified-representative-claim": "five_hour",
      "anthropic-ratelimit-unified-5h-status": "rejected",
      "anthropic-ratelimit-unified-5h-reset": epoch,
    });
  }
  return headers;
}

export function writeUsageLimited(
  res: ServerResponse,
  limit: UsageLimit,
  requestId: string,
  now: Date,
): void {
  sendJson(
    res,
    429,
    { ...apiErrorBody(429, USAGE_LIMIT_MESSAGE), request_id: requestId },
    { "request-id": requestId, ...usageLimitHeaders(limit, now) },
  );
}
