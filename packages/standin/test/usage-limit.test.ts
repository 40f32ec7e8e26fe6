import { afterEach, describe, expect, it } from "vitest";
import { always, type Standin, startStandin, textReply } from "../src/index.js";
import { runClaude, tempDir } from "./helpers.js";

let standin: Standin | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await standin?.close();
  standin = undefined;
  for (const c of cleanups.splice(0)) c();
});

function dirs() {
  const home = tempDir("home");
  const cwd = tempDir("cwd");
  cleanups.push(home.cleanup, cwd.cleanup);
  return { home: home.path, cwd: cwd.path };
}

describe("the stand-in's usage limit, seen by real claude", () => {
  it("a subscription gets claude's limit message and a rate_limit_event carrying the reset; after the reset replies are normal", async () => {
    standin = await startStandin({ responder: always(textReply("Back to normal.")) });
    const until = new Date(Date.now() + 30_000);
    standin.limitUsage({ until, kind: "subscription" });
    const { home, cwd } = dirs();
    // A fake subscription token: claude reads the unified-limit headers only for subscriptions.
    // No retries: with a reset seconds away claude would otherwise wait it out itself.
    const env = {
      ANTHROPIC_API_KEY: undefined,
      CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-standin-test",
      CLAUDE_CODE_MAX_RETRIES: "0",
    };
    const limited = await runClaude({ baseUrl: standin.url, prompt: "hello", cwd, home, env });
    expect(limited.result).toMatchObject({ is_error: true, api_error_status: 429 });
    expect(String(limited.result!["result"])).toMatch(/^You've hit your 5-hour limit · resets /);
    const event = limited.lines.find((l) => l["type"] === "rate_limit_event");
    expect(event).toMatchObject({
      rate_limit_info: {
        status: "rejected",
        rateLimitType: "five_hour",
        resetsAt: Math.ceil(until.getTime() / 1000),
      },
    });
    const refused = standin.requests.filter((r) => r.limited).length;
    expect(refused).toBeGreaterThanOrEqual(1);

    standin.limitUsage({ until: new Date(Date.now() - 1), kind: "subscription" });
    const after = await runClaude({ baseUrl: standin.url, prompt: "hello again", cwd, home, env });
    expect(after.result).toMatchObject({ is_error: false, result: "Back to normal." });
    expect(standin.requests.filter((r) => r.limited)).toHaveLength(refused);
  });

  it("an API key gets the plain 429 (rate_limit_error) with retry-after and the per-key reset headers", async () => {
    standin = await startStandin({ responder: always(textReply("unused")) });
    const until = new Date(Date.now() + 600_000);
    standin.limitUsage({ until, kind: "api_key" });
    const { home, cwd } = dirs();
    const run = await runClaude({
      baseUrl: standin.url,
      prompt: "hello",
      cwd,
      home,
      env: { CLAUDE_CODE_MAX_RETRIES: "0" },
    });
    expect(run.result).toMatchObject({
      is_error: true,
      api_error_status: 429,
      api_error_type: "rate_limit_error",
    });
    expect(String(run.result!["result"])).toContain("would exceed your account's rate limit");
    expect(run.lines.some((l) => l["type"] === "rate_limit_event")).toBe(false);
    const sent = Date.now();
    const res = await fetch(`${standin.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }] }),
    });
    const answered = Date.now();
    expect(res.status).toBe(429);
    // The seconds left until the limit's end when the stand-in answered, however long claude took.
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(Math.floor((until.getTime() - answered) / 1000));
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((until.getTime() - sent) / 1000));
    expect(res.headers.get("anthropic-ratelimit-requests-reset")).toBe(
      new Date(Math.floor(until.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z"),
    );
    expect(res.headers.get("anthropic-ratelimit-unified-status")).toBeNull();
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  });
});
