import { type SlackStandin, startSlackStandin } from "@herdctl/standin";
import { App, LogLevel } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../helpers/until.js";

// The real @slack/bolt in Socket Mode against the Slack stand-in: the stand-in must speak the
// protocol well enough that the unmodified library connects, receives, acks, posts and reconnects.
describe("Slack stand-in with the real @slack/bolt", () => {
  let slack: SlackStandin;
  let app: App;
  const mentions: string[] = [];

  beforeAll(async () => {
    slack = await startSlackStandin();
    app = new App({
      token: slack.botToken,
      appToken: slack.appToken,
      socketMode: true,
      deferInitialization: true,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    app.event("app_mention", async ({ event, client }) => {
      mentions.push(event.text);
      await client.chat.postMessage({
        channel: event.channel,
        thread_ts: event.ts,
        text: `echo: ${event.text}`,
      });
    });
    await app.init();
    await app.start();
  });
  afterAll(async () => {
    await app?.stop();
    await slack?.close();
  });

  it("connects over Socket Mode, acks an app_mention and the reply lands in its thread", async () => {
    expect(slack.connections).toBe(1);
    const ts = slack.mention({ channel: "C1", text: `<@${slack.botUserId}> hello` });
    await until(() => slack.botMessages("C1", ts).length === 1, "the stand-in to see it", 10_000);
    expect(slack.botMessages("C1", ts)[0]?.text).toBe(`echo: <@${slack.botUserId}> hello`);
    expect(slack.botMessages("C1", ts)[0]?.thread_ts).toBe(ts);
    await until(
      () => slack.envelopes.filter((e) => e.event["type"] === "app_mention").every((e) => e.acked),
      "the stand-in to see it",
      5_000,
    );
  });

  it("answers 429 with Retry-After and the client waits that long before retrying", async () => {
    slack.rateLimit("chat.postMessage", 1);
    const started = Date.now();
    const ts = slack.mention({ channel: "C1", text: "again" });
    await until(() => slack.botMessages("C1", ts).length === 1, "the stand-in to see it", 15_000);
    const posts = slack.calls.filter((c) => c.method === "chat.postMessage" && c.at >= started);
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("a dropped link reconnects through apps.connections.open and events queued meanwhile arrive", async () => {
    const before = slack.connections;
    slack.dropSockets();
    const ts = slack.mention({ channel: "C2", text: "after the drop" });
    await until(() => slack.botMessages("C2", ts).length === 1, "the stand-in to see it", 30_000);
    expect(slack.connections).toBe(before + 1);
  });

  it("a disconnect message (refresh_requested) makes the client open a new link", async () => {
    const before = slack.connections;
    slack.requestReconnect();
    await until(
      () => slack.connections === before + 1 && slack.openConnections === 1,
      "the stand-in to see it",
      30_000,
    );
    const ts = slack.mention({ channel: "C3", text: "after the refresh" });
    await until(() => slack.botMessages("C3", ts).length === 1, "the stand-in to see it", 10_000);
  });

  it("refuses a wrong bot token with invalid_auth, which bolt reports on init", async () => {
    const bad = new App({
      token: "xoxb-wrong",
      appToken: slack.appToken,
      socketMode: true,
      deferInitialization: true,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    await expect(bad.init()).rejects.toThrow(/invalid_auth/);
  });
});
