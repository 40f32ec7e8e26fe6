import { setTimeout as sleep } from "node:timers/promises";
import type { HookContext } from "./context.js";
import { HookFailure, hookFailures } from "./errors.js";
import type { Env } from "./shell.js";
import { timestampedHeaders } from "./signature.js";

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_RETRIES = 2;
export const DEFAULT_RETRY_BASE_MS = 1000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;
// A config with many retries must not turn into hours of doubling waits.
const MAX_BACKOFF_MS = 60_000;

export interface WebhookHookSpec {
  readonly type: "webhook";
  readonly url: string;
  readonly method?: "POST" | "PUT";
  /** Values already interpolated by the config layer. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Milliseconds per attempt. */
  readonly timeout?: number;
  /** Extra attempts after the first. */
  readonly retries?: number;
  /** Name of the environment variable holding the HMAC secret (never the secret itself). */
  readonly secret_env?: string;
}

export interface WebhookOptions {
  env?: Env;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** First backoff delay; each further retry doubles it. */
  retryBaseMs?: number;
  /** Cap on a receiver's Retry-After, so one slow receiver cannot hold the hook chain for long. */
  maxRetryAfterMs?: number;
  /** The clock signatures are timestamped with. */
  now?: () => Date;
}

const BODY_SNIPPET = 200;

/**
 * Sends the context as JSON. Retries network errors, timeouts, 429 and 5xx with exponential
 * backoff (or the receiver's Retry-After, capped); any other non-2xx fails at once. Redirects are
 * not followed: they would silently re-send signed job data somewhere the user did not configure.
 * Resolves on 2xx; otherwise rejects with a HookFailure whose message shows only the URL's origin,
 * because paths often carry tokens (Slack and Discord webhook URLs do).
 */
export async function runWebhookHook(
  hook: WebhookHookSpec,
  context: HookContext,
  options: WebhookOptions = {},
  /** What to send instead of the context (a chat platform's message). */
  body = JSON.stringify(context),
): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  const env = options.env ?? process.env;
  const method = hook.method ?? "POST";
  const timeoutMs = hook.timeout ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const maxAttempts = (hook.retries ?? DEFAULT_WEBHOOK_RETRIES) + 1;
  const request = `${method} ${new URL(hook.url).origin}`;

  const headers = new Headers({
    "user-agent": "herdctl",
    "x-herdctl-event": context.event,
    "x-herdctl-job-id": context.job.id,
  });
  for (const [name, value] of Object.entries(hook.headers ?? {})) headers.set(name, value);
  // Set last so user headers cannot make the body and its declared type or signature disagree.
  headers.set("content-type", "application/json");
  const secret = hook.secret_env === undefined ? undefined : env[hook.secret_env];
  if (hook.secret_env !== undefined && !secret) throw hookFailures.secretMissing(hook.secret_env);

  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw hookFailures.aborted();
    // Signed per attempt: a retry minutes later must still fall inside the receiver's window.
    if (secret) {
      for (const [name, value] of Object.entries(timestampedHeaders(body, secret, options.now?.())))
        headers.set(name, value);
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let failure: (tries: number) => HookFailure;
    let retryAfterMs: number | undefined;
    try {
      const response = await doFetch(hook.url, { method, headers, body, signal, redirect: "manual" });
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel().catch(() => {});
        return;
      }
      const snippet = await bodySnippet(response);
      if (response.status >= 300 && response.status < 400)
        throw hookFailures.redirect(request, response.status);
      const { status } = response;
      failure = (tries) => hookFailures.httpStatus(request, status, tries, snippet);
      if (status !== 429 && status < 500) throw failure(attempt);
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    } catch (error) {
      if (error instanceof HookFailure) throw error;
      if (options.signal?.aborted) throw hookFailures.aborted();
      failure = timeout.aborted
        ? (tries) => hookFailures.requestTimeout(request, timeoutMs, tries)
        : (tries) => hookFailures.network(request, tries, networkDetail(error));
    }
    if (attempt >= maxAttempts) throw failure(attempt);
    const backoff = Math.min(
      (options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS) * 2 ** (attempt - 1),
      MAX_BACKOFF_MS,
    );
    const delay =
      retryAfterMs === undefined
        ? backoff
        : Math.min(retryAfterMs, options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
    try {
      await sleep(delay, undefined, { signal: options.signal });
    } catch {
      throw hookFailures.aborted();
    }
  }
}

/** Seconds or an HTTP date; undefined when absent or unreadable (then plain backoff applies). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function bodySnippet(response: Response): Promise<string> {
  try {
    const reader = response.body?.getReader();
    if (!reader) return "";
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (size < 4096) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    await reader.cancel().catch(() => {});
    const text = Buffer.concat(chunks).toString("utf8").replace(/\s+/g, " ").trim();
    return text.length <= BODY_SNIPPET ? text : `${text.slice(0, BODY_SNIPPET)}…`;
  } catch {
    return "";
  }
}

function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } })?.cause;
  return cause?.message || cause?.code || (error instanceof Error ? error.message : String(error));
}
