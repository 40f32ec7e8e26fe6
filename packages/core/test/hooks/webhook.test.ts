import { afterEach, describe, expect, it } from "vitest";
import { HookFailure } from "../../src/hooks/errors.js";
import { verifySignature, verifyTimestamped } from "../../src/hooks/signature.js";
import { parseRetryAfter, runWebhookHook } from "../../src/hooks/webhook.js";
import { hookContext } from "./hook-context.js";
import { type Reply, startReceiver } from "./receiver.js";

let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function listen(replies: Reply[]) {
  receiver = await startReceiver(replies);
  return receiver;
}

async function failureOf(promise: Promise<unknown>): Promise<HookFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HookFailure);
  return error as HookFailure;
}

const fast = { retryBaseMs: 20 };

describe("webhook hook", () => {
  it("POSTs the context as JSON with user headers and a signature the verifier accepts", async () => {
    const { url, received } = await listen([{ status: 204 }]);
    const context = hookContext();
    await runWebhookHook(
      {
        type: "webhook",
        url: `${url}/hooks/job?token=abc`,
        headers: { Authorization: "Bearer t0ken-value", "X-Team": "ops", "Content-Type": "text/plain" },
        secret_env: "HOOK_SIGNING_KEY",
      },
      context,
      { env: { HOOK_SIGNING_KEY: "s3cret-signing-key" } },
    );
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/hooks/job?token=abc");
    expect(JSON.parse(request!.body)).toEqual(context);
    expect(request!.headers).toMatchObject({
      "content-type": "application/json",
      authorization: "Bearer t0ken-value",
      "x-team": "ops",
      "x-herdctl-event": "completed",
      "x-herdctl-job-id": "job-2024-01-01-abc123",
      "user-agent": "herdctl",
    });
    const signature = request!.headers["x-herdctl-signature"] as string;
    const timestamp = request!.headers["x-herdctl-timestamp"] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(timestamp).toMatch(/^\d{10}$/);
    const check = (body: string, secret: string, ts = timestamp) =>
      verifyTimestamped(body, secret, { signature, timestamp: ts }).ok;
    expect(check(request!.body, "s3cret-signing-key")).toBe(true);
    expect(check(request!.body, "another-key-value")).toBe(false);
    expect(check(`${request!.body} `, "s3cret-signing-key")).toBe(false);
    // The timestamp is part of what is signed: a receiver cannot be fooled by a fresher one.
    expect(check(request!.body, "s3cret-signing-key", String(Number(timestamp) + 1))).toBe(false);
    // Nor is it the body-only (GitHub) signature, which would carry no timestamp.
    expect(verifySignature(request!.body, "s3cret-signing-key", signature)).toBe(false);
  });

  it("sends no signature without secret_env, and uses PUT when asked", async () => {
    const { url, received } = await listen([{ status: 200, body: "ok" }]);
    await runWebhookHook({ type: "webhook", url, method: "PUT" }, hookContext(), {});
    expect(received[0]!.method).toBe("PUT");
    expect(received[0]!.headers["x-herdctl-signature"]).toBeUndefined();
  });

  it("fails naming the variable when the signing secret is not set, without sending", async () => {
    const { url, received } = await listen([{ status: 200 }]);
    const failure = await failureOf(
      runWebhookHook({ type: "webhook", url, secret_env: "HOOK_SIGNING_KEY" }, hookContext(), { env: {} }),
    );
    expect(failure.code).toBe("HOOK_SECRET_MISSING");
    expect(failure.message).toBe(
      "secret_env names HOOK_SIGNING_KEY, but HOOK_SIGNING_KEY is not set; export it where herdctl runs or remove secret_env",
    );
    expect(received).toHaveLength(0);
  });

  it("retries a 500 with growing backoff, then succeeds", async () => {
    const { url, received } = await listen([{ status: 500 }, { status: 503 }, { status: 200 }]);
    await runWebhookHook({ type: "webhook", url, secret_env: "K" }, hookContext(), {
      ...fast,
      retryBaseMs: 100,
      env: { K: "signing-key-1" },
    });
    expect(received).toHaveLength(3);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(90);
    expect(received[2]!.at - received[1]!.at).toBeGreaterThanOrEqual(190);
    // Every attempt carries a valid signature of the same body, timestamped when it was sent.
    for (const r of received) {
      const headers = {
        signature: r.headers["x-herdctl-signature"] as string,
        timestamp: r.headers["x-herdctl-timestamp"] as string,
      };
      expect(verifyTimestamped(r.body, "signing-key-1", headers).ok).toBe(true);
    }
  });

  it("gives up after the configured retries and reports status and body", async () => {
    const { url, received } = await listen([{ status: 502, body: "upstream\n  exploded" }]);
    const failure = await failureOf(
      runWebhookHook({ type: "webhook", url: `${url}/secret/path`, retries: 1 }, hookContext(), fast),
    );
    expect(received).toHaveLength(2);
    expect(failure.code).toBe("HOOK_HTTP_STATUS");
    expect(failure.message).toBe(`POST ${url} answered 502 after 2 attempts: upstream exploded`);
    expect(failure.message).not.toContain("secret/path");
  });

  it("makes 1 + 2 attempts by default", async () => {
    const { url, received } = await listen([{ status: 500 }]);
    const failure = await failureOf(runWebhookHook({ type: "webhook", url }, hookContext(), fast));
    expect(received).toHaveLength(3);
    expect(failure.message).toBe(`POST ${url} answered 500 after 3 attempts`);
  });

  it("does not retry a 4xx other than 429", async () => {
    const { url, received } = await listen([{ status: 404, body: "no such hook" }]);
    const failure = await failureOf(runWebhookHook({ type: "webhook", url }, hookContext(), fast));
    expect(received).toHaveLength(1);
    expect(failure.message).toBe(`POST ${url} answered 404 after 1 attempt: no such hook`);
  });

  it("retries a 429 after the receiver's Retry-After, capped", async () => {
    const { url, received } = await listen([
      { status: 429, headers: { "retry-after": "120" } },
      { status: 200 },
    ]);
    await runWebhookHook({ type: "webhook", url }, hookContext(), { ...fast, maxRetryAfterMs: 300 });
    expect(received).toHaveLength(2);
    const gap = received[1]!.at - received[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(290);
    // Far below the 120 s asked for, with room for a busy machine.
    expect(gap).toBeLessThan(60_000);
  });

  it("times out a receiver that never answers", async () => {
    const { url, received } = await listen(["hang"]);
    const started = Date.now();
    const failure = await failureOf(
      runWebhookHook({ type: "webhook", url, timeout: 200, retries: 1 }, hookContext(), fast),
    );
    expect(failure.code).toBe("HOOK_TIMEOUT");
    expect(failure.message).toBe(
      `POST ${url} did not answer within 200 ms (2 attempts); raise the hook's timeout or check the receiver`,
    );
    expect(received).toHaveLength(2);
    // The receiver never answers: ending at all is the timeout's doing; the bound only catches a
    // timeout that waits far longer than configured.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("reports a connection failure after its retries", async () => {
    const { url } = await listen([{ status: 200 }]);
    await receiver!.close();
    receiver = undefined;
    const failure = await failureOf(
      runWebhookHook({ type: "webhook", url, retries: 1 }, hookContext(), fast),
    );
    expect(failure.code).toBe("HOOK_NETWORK");
    expect(failure.message).toBe(
      `POST ${url} failed after 2 attempts: connect ECONNREFUSED ${url.slice("http://".length)}`,
    );
  });

  it("does not follow redirects", async () => {
    const { url, received } = await listen([
      { status: 302, headers: { location: "http://127.0.0.1:1/elsewhere" } },
    ]);
    const failure = await failureOf(runWebhookHook({ type: "webhook", url }, hookContext(), fast));
    expect(received).toHaveLength(1);
    expect(failure.code).toBe("HOOK_HTTP_REDIRECT");
    expect(failure.message).toBe(
      `POST ${url} answered 302 (a redirect); webhook hooks do not follow redirects, so set url to the final address`,
    );
  });

  it("stops retrying when the signal aborts", async () => {
    const { url, received } = await listen([{ status: 500 }]);
    const controller = new AbortController();
    const outcome = failureOf(
      runWebhookHook({ type: "webhook", url, retries: 5 }, hookContext(), {
        retryBaseMs: 1000,
        signal: controller.signal,
      }),
    );
    // Abort once the first attempt has arrived (the hook then waits out its backoff), however long
    // a busy machine takes to get there.
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const failure = await outcome;
    expect(failure.code).toBe("HOOK_ABORTED");
    expect(received).toHaveLength(1);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates and ignores garbage", () => {
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Sun, 31 Dec 2023 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
