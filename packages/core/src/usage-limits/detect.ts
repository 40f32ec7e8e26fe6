/**
 * Reads the signs of a reached usage limit out of claude's stream, as claude 2.1.332 writes them
 * (seen against the stand-in's usage-limit scenario):
 * - a Claude subscription: `{type: "rate_limit_event", rate_limit_info: {status: "rejected",
 *   resetsAt: <epoch s>}}`, then an assistant message with `error: "rate_limit"`,
 *   `api_error: "usage_limit_reached"` and the same info in `api_error_params`, and a result whose
 *   text is "You've hit your 5-hour limit · resets 3:26am (UTC)";
 * - older claude versions print "Claude AI usage limit reached|<epoch s>";
 * - an API key: only the assistant's `error: "rate_limit"` with `api_error_status: 429`; claude
 *   keeps the retry-after and reset headers to itself, so the reset is unknown.
 * Every field comes from the network through claude: read defensively, nothing trusted by shape.
 */

import { oneLine } from "../util/printable.js";

/** A usage limit a job met; `resetsAt` undefined when claude did not say when it lifts. */
export interface LimitSignal {
  readonly resetsAt: Date | undefined;
  readonly source: "rate_limit_event" | "api_error_params" | "message_text" | "rate_limit_error";
  /** What claude said about it, for people (bounded, one line). */
  readonly message: string;
}

const MAX_MESSAGE = 300;
const LEGACY_TEXT = /usage limit reached\|(\d{9,11})\b/i;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Epoch seconds as claude passes them on; anything else is no time at all. */
function epochSeconds(value: unknown): Date | undefined {
  const n = typeof value === "string" && /^\d{1,12}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0 || n > 1e11) return undefined;
  return new Date(Math.round(n) * 1000);
}

function textOf(message: Record<string, unknown>): string {
  const inner = message["message"];
  if (!isObject(inner) || !Array.isArray(inner["content"])) return "";
  return inner["content"]
    .map((b) => (isObject(b) && b["type"] === "text" && typeof b["text"] === "string" ? b["text"] : ""))
    .join("");
}

function rejectedInfo(info: unknown): Date | undefined {
  if (!isObject(info) || info["status"] !== "rejected") return undefined;
  return epochSeconds(info["resetsAt"]);
}

/** The limit one streamed message shows, if it shows one. */
export function limitSignalOf(message: unknown): LimitSignal | undefined {
  if (!isObject(message)) return undefined;
  const type = message["type"];
  if (type === "rate_limit_event") {
    const resetsAt = rejectedInfo(message["rate_limit_info"]);
    return resetsAt && { resetsAt, source: "rate_limit_event", message: "usage limit reached" };
  }
  const text =
    type === "assistant" ? textOf(message) : type === "result" ? String(message["result"] ?? "") : "";
  const legacy = LEGACY_TEXT.exec(text);
  if (legacy) {
    const resetsAt = epochSeconds(legacy[1]);
    if (resetsAt) return { resetsAt, source: "message_text", message: oneLine(text, MAX_MESSAGE) };
  }
  if (type !== "assistant" || message["error"] !== "rate_limit") return undefined;
  const params = message["api_error_params"];
  const resetsAt = isObject(params) ? rejectedInfo(params["rate_limit_info"]) : undefined;
  if (resetsAt) return { resetsAt, source: "api_error_params", message: oneLine(text, MAX_MESSAGE) };
  return {
    resetsAt: undefined,
    source: "rate_limit_error",
    message: oneLine(text, MAX_MESSAGE) || "rate limited (429)",
  };
}

/**
 * Follows one job's messages and keeps what it learnt: a signal with a reset time wins over one
 * without, and claude's own wording (the assistant's text) over the bare event.
 */
export class LimitWatch {
  private signal: LimitSignal | undefined;

  observe(message: unknown): void {
    const next = limitSignalOf(message);
    if (!next) return;
    const prev = this.signal;
    if (!prev) this.signal = next;
    else
      this.signal = {
        resetsAt: prev.resetsAt ?? next.resetsAt,
        source: prev.resetsAt ? prev.source : next.source,
        message: next.source === "rate_limit_event" ? prev.message : next.message,
      };
  }

  get seen(): LimitSignal | undefined {
    return this.signal;
  }
}

/** Longest pause herdctl takes on the network's word: a reset further out is clamped and logged. */
export const MAX_PAUSE_MS = 7 * 24 * 3_600_000;
/** The pause when claude did not say when the limit lifts (an API key's 429): then one probe. */
export const UNKNOWN_RESET_PAUSE_MS = 5 * 60_000;
/** A reset already past still waits this long, so a wrong clock cannot make a tight loop. */
export const MIN_PAUSE_MS = 5_000;

/** When the pause ends, bounded; `clamped` says the signal's own time was not used as given. */
export function pauseEnd(signal: LimitSignal, now: Date): { until: Date; clamped: boolean } {
  const at = now.getTime();
  if (!signal.resetsAt) return { until: new Date(at + UNKNOWN_RESET_PAUSE_MS), clamped: false };
  const wanted = signal.resetsAt.getTime();
  const bounded = Math.min(at + MAX_PAUSE_MS, Math.max(at + MIN_PAUSE_MS, wanted));
  return { until: new Date(bounded), clamped: wanted > at + MAX_PAUSE_MS };
}
