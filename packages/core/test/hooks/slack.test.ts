import { type SlackStandin, startSlackStandin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discordNotice } from "../../src/hooks/discord.js";
import { runHooks } from "../../src/hooks/run-hooks.js";
import { jobMessage, runSlackHook } from "../../src/hooks/slack.js";
import { hookContext } from "./hook-context.js";

// Slack hooks post through the Slack stand-in's Web API (chat.postMessage), not the real Slack.
describe("slack hook (against the Slack stand-in)", () => {
  let slack: SlackStandin;
  let env: Record<string, string>;
  beforeAll(async () => {
    slack = await startSlackStandin();
    env = { HERDCTL_SLACK_API_URL: slack.apiUrl, SLACK_BOT_TOKEN: slack.botToken };
  });
  afterAll(() => slack.close());

  it("posts agent, status, duration, cost and the error of a failed job to the channel", async () => {
    const context = hookContext({ status: "failed", exitReason: "error", error: "tests <failed> & stopped" });
    await runSlackHook({ type: "slack", channel_id: "CALERTS", bot_token_env: "SLACK_BOT_TOKEN" }, context, {
      env,
    });
    const [post] = slack.botMessages("CALERTS");
    expect(post?.text).toBe(
      "*triager* job `job-2024-01-01-abc123` failed, in 60 s, cost $0.7500\n> tests &lt;failed&gt; &amp; stopped",
    );
  });

  it("waits out a 429's Retry-After, then delivers once", async () => {
    slack.rateLimit("chat.postMessage", 1);
    const before = slack.botMessages("CRATE").length;
    await runSlackHook(
      { type: "slack", channel_id: "CRATE", bot_token_env: "SLACK_BOT_TOKEN" },
      hookContext(),
      {
        env,
        retryBaseMs: 10,
      },
    );
    const calls = slack.calls.filter((c) => c.method === "chat.postMessage" && c.args["channel"] === "CRATE");
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(slack.botMessages("CRATE").length).toBe(before + 1);
  });

  it("a refused token fails the hook in plain words, once, with the token redacted", async () => {
    const results = await runHooks(
      { on_error: [{ type: "slack", channel_id: "CALERTS", bot_token_env: "OTHER_SLACK_TOKEN" }] },
      hookContext({ status: "failed", exitReason: "error", error: "boom" }),
      { env: { ...env, OTHER_SLACK_TOKEN: "xoxb-wrong-but-secret-value" }, retryBaseMs: 10 },
    );
    expect(results).toHaveLength(1);
    expect(results[0]?.ok).toBe(false);
    expect(results[0]?.error).toBe(
      "Slack refused the message (invalid_auth): the token in OTHER_SLACK_TOKEN is not valid; create a new bot token and export it",
    );
    const refused = slack.calls.filter((c) => c.error === "invalid_auth" && c.args["channel"] === "CALERTS");
    expect(refused).toHaveLength(1);
  });

  it("names the unset variable when the bot token is missing, and posts nothing", async () => {
    const before = slack.calls.length;
    const results = await runHooks(
      { after_run: [{ type: "slack", channel_id: "CALERTS", bot_token_env: "UNSET_SLACK_TOKEN" }] },
      hookContext(),
      { env: { HERDCTL_SLACK_API_URL: slack.apiUrl } },
    );
    expect(results[0]?.error).toMatch(
      /^bot_token_env names UNSET_SLACK_TOKEN, but UNSET_SLACK_TOKEN is not set/,
    );
    expect(slack.calls.length).toBe(before);
  });

  it("links to the job when the hook names the dashboard", () => {
    const text = jobMessage(hookContext(), "https://herd.example.com/");
    expect(text.split("\n").at(-1)).toBe(
      "<https://herd.example.com/jobs/job-2024-01-01-abc123|Open the job in the dashboard>",
    );
  });

  it("says which credential met its usage limit and until when (Slack and Discord)", () => {
    const context = {
      ...hookContext({ status: "failed", exitReason: "api_error", error: "You've hit your limit" }),
      event: "usage_limited" as const,
      usage_limit: {
        credential: "subscription token 3f2a9c01",
        resets_at: "2026-12-02T15:00:00.000Z",
        source: "rate_limit_event",
        agents: ["triager", "coder"],
      },
    };
    expect(jobMessage(context).split("\n")[0]).toBe(
      "*triager* job `job-2024-01-01-abc123` met the usage limit of its subscription token 3f2a9c01 (paused until 2026-12-02T15:00:00.000Z), in 60 s, cost $0.7500",
    );
    expect(discordNotice(context).split("\n")[0]).toBe(
      "⏸️ **triager** job `job-2024-01-01-abc123` met the usage limit of its subscription token 3f2a9c01; scheduled runs of triager, coder wait until 2026-12-02T15:00:00.000Z",
    );
  });

  it("quotes a completed job's summary line by line and cuts a long one", () => {
    const text = jobMessage(hookContext({ summary: `line one\nline two ${"x".repeat(2000)}` }));
    const lines = text.split("\n");
    expect(lines[0]).toBe("*triager* job `job-2024-01-01-abc123` completed, in 60 s, cost $0.7500");
    expect(lines[1]).toBe("> line one");
    expect(lines[2]?.endsWith("…")).toBe(true);
    expect(lines[2]?.length).toBeLessThan(1600);
  });
});
