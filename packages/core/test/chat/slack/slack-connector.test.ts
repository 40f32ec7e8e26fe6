import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  errorReply,
  type SlackStandin,
  type Standin,
  startSlackStandin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLACK_MESSAGE_LIMIT } from "../../../src/chat/slack/connector.js";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { writeAgents } from "../../helpers/multi-fleet.js";
import { until } from "../../helpers/until.js";
import { memoryResponder } from "../memory-responder.js";

const CODE = [
  "```ts",
  ...Array.from({ length: 40 }, (_, i) => `const line${i} = ${i}; // kept whole`),
  "```",
].join("\n");
const LONG = [
  ...Array.from({ length: 6 }, (_, i) => `Paragraph ${i}: ${"words and more words ".repeat(40).trim()}`),
  CODE,
  ...Array.from({ length: 4 }, (_, i) => `Closing ${i}: ${"the end is near ".repeat(40).trim()}`),
].join("\n\n");

// A fleet with real claude against the Messages API stand-in, its Slack bot connected over Socket
// Mode to the Slack stand-in (the real @slack/bolt, pointed there by HERDCTL_SLACK_API_URL).
describe("Slack connector (real claude, Messages API stand-in, Slack stand-in)", () => {
  let standin: Standin;
  let slack: SlackStandin;
  let fleet: FleetManager;
  const tmp = tempDir();
  /**
   * The first test's thread. Later Slack-side checks (a follow-up, a 429, a dropped link) carry on
   * in it: a thread's chat keeps its claude between turns, so they need no claude of their own.
   */
  let birch: string;

  const slackState = (key: string) =>
    fleet.connectorStatuses().find((c) => c.platform === "slack" && c.key === key);
  const replies = (channel: string, ts: string) => slack.botMessages(channel, ts).filter((m) => m.ts !== ts);
  const answered = (channel: string, ts: string, text: string) =>
    until(
      () => replies(channel, ts).some((m) => m.text.includes(text)),
      `an answer containing "${text}"`,
      120_000,
    );

  beforeAll(async () => {
    standin = await startStandin({
      responder: memoryResponder({
        extra: (req) => {
          const last = req.lastUserText ?? "";
          if (last.includes("long please")) return textReply(LONG);
          if (last.includes("fail now")) return errorReply(400, "the stand-in refuses this request");
          return undefined;
        },
      }),
    });
    slack = await startSlackStandin();
    const slackSection = (tokenEnv: string, channels: string, dm = "") =>
      `chat:\n  slack:\n    bot_token_env: ${tokenEnv}\n    app_token_env: SLACK_APP_TOKEN\n    channels:\n${channels}${dm}`;
    writeAgents(tmp.dir, {
      helper:
        "permission_mode: acceptEdits\n" +
        slackSection(
          "SLACK_BOT_TOKEN",
          "      - id: CHELP\n        mode: mention\n        context_messages: 5\n      - id: CAUTO\n        mode: auto\n",
          "    dm:\n      enabled: true\n      blocklist: [UBLOCKED]\n",
        ) +
        "hooks:\n  on_error:\n    - type: slack\n      channel_id: CALERTS\n      bot_token_env: SLACK_BOT_TOKEN\n",
      broken: slackSection("BROKEN_SLACK_TOKEN", "      - id: CBROKEN\n"),
    });
    writeFileSync(
      join(tmp.dir, ".env"),
      [
        `HERDCTL_SLACK_API_URL=${slack.apiUrl}`,
        `SLACK_BOT_TOKEN=${slack.botToken}`,
        `SLACK_APP_TOKEN=${slack.appToken}`,
        "BROKEN_SLACK_TOKEN=xoxb-revoked-token-value-123456",
        "",
      ].join("\n"),
    );
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    await until(
      () => slackState("SLACK_BOT_TOKEN")?.status === "connected",
      "the Slack connector to connect",
      30_000,
    );
  }, 60_000);

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await slack?.close();
    await standin?.close();
    tmp.cleanup();
  });

  it("answers a mention in its thread, replacing the working message, on a chat of surface slack", async () => {
    birch = slack.mention({ channel: "CHELP", text: `<@${slack.botUserId}> remember birch` });
    await answered("CHELP", birch, "noted birch");
    const [reply] = replies("CHELP", birch);
    expect(reply?.text).toBe("noted birch");
    expect(reply?.thread_ts).toBe(birch);
    expect(reply?.edits).toBeGreaterThanOrEqual(1);
    const chat = fleet.chats({ surface: "slack" }).find((c) => c.agent === "helper");
    expect(chat?.lastMessage).toBe("noted birch");
  }, 150_000);

  it("continues the thread's session on a follow-up without a mention", async () => {
    slack.say({ channel: "CHELP", text: "what did I say?", thread_ts: birch });
    await answered("CHELP", birch, "you said birch");
  }, 240_000);

  it("ignores a reply in a mention channel's thread the bot is not in", async () => {
    const parent = slack.say({ channel: "CHELP", text: "a thread among people" });
    const before = standin.mainRequests.length;
    slack.say({ channel: "CHELP", text: "remember oak", thread_ts: parent });
    // The next mention is answered: had the first been taken, its turn would have come first.
    const ts = slack.mention({ channel: "CHELP", text: `<@${slack.botUserId}> remember elm` });
    await answered("CHELP", ts, "noted elm");
    expect(standin.mainRequests.slice(before).some((r) => r.lastUserText?.includes("oak"))).toBe(false);
    expect(replies("CHELP", parent)).toEqual([]);
  }, 150_000);

  it("splits a long answer into thread replies within Slack's limit, the code block whole", async () => {
    const ts = slack.say({ channel: "CAUTO", text: "long please" });
    await until(() => replies("CAUTO", ts).length >= 3, "the answer's parts", 120_000);
    await until(
      () => replies("CAUTO", ts).some((m) => m.text.includes("Closing 3")),
      "the answer's end",
      30_000,
    );
    const parts = replies("CAUTO", ts).map((m) => m.text);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(SLACK_MESSAGE_LIMIT);
    expect(parts.filter((p) => p.includes(CODE))).toHaveLength(1);
    expect(parts.join("\n\n").replace(/\s+/g, " ")).toBe(LONG.replace(/\s+/g, " "));
  }, 150_000);

  it("refuses a DM from a member on the blocklist, in plain words, without a turn", async () => {
    const before = standin.mainRequests.length;
    slack.say({ channel: "DBLOCK", user: "UBLOCKED", text: "remember cedar" });
    await until(() => slack.botMessages("DBLOCK").length === 1, "the refusal", 30_000);
    expect(slack.botMessages("DBLOCK")[0]?.text).toBe(
      "Sorry, you are not on this agent's list of people it takes direct messages from.",
    );
    expect(standin.mainRequests.slice(before).some((r) => r.lastUserText?.includes("cedar"))).toBe(false);
  }, 60_000);

  it("answers an allowed DM in place", async () => {
    slack.say({ channel: "DOPEN", user: "UFRIEND", text: "remember pine" });
    await until(
      () => slack.botMessages("DOPEN").some((m) => m.text === "noted pine"),
      "the DM answer",
      120_000,
    );
    expect(slack.botMessages("DOPEN").every((m) => m.thread_ts === undefined)).toBe(true);
  }, 150_000);

  it("waits out Slack's 429 Retry-After and still delivers the answer", async () => {
    slack.rateLimit("chat.update", 1, 2);
    const started = Date.now();
    slack.say({ channel: "CHELP", text: "remember willow", thread_ts: birch });
    await answered("CHELP", birch, "noted willow");
    const updates = slack.calls.filter((c) => c.method === "chat.update" && c.at >= started);
    const limited = updates.filter((c) => c.status === 429);
    expect(limited).toHaveLength(2);
    const after = updates.find((c) => c.status === 200 && c.at > limited[1]!.at);
    expect(after!.at - limited[1]!.at).toBeGreaterThanOrEqual(900);
  }, 150_000);

  it("reconnects after the Socket Mode link drops and answers what was said meanwhile", async () => {
    const connections = slack.connections;
    slack.dropSockets();
    await until(
      () => slackState("SLACK_BOT_TOKEN")?.status === "reconnecting",
      "the state to say so",
      10_000,
    );
    slack.say({ channel: "CHELP", text: "remember ash", thread_ts: birch });
    await answered("CHELP", birch, "noted ash");
    expect(slack.connections).toBe(connections + 1);
    expect(slackState("SLACK_BOT_TOKEN")?.status).toBe("connected");
  }, 150_000);

  it("a bad bot token fails its connector with the reason in status; the rest of the fleet runs", () => {
    const broken = slackState("BROKEN_SLACK_TOKEN");
    expect(broken?.status).toBe("failed");
    expect(broken?.agents).toEqual(["broken"]);
    expect(broken?.reason).toBe(
      "Slack refused the bot token in BROKEN_SLACK_TOKEN (invalid_auth): create a new token in the app's settings and export it",
    );
    expect(JSON.stringify(fleet.status())).not.toContain("xoxb-revoked-token-value-123456");
    expect(slackState("SLACK_BOT_TOKEN")?.status).toBe("connected");
  });

  it("posts a failed job to the slack hook's channel", async () => {
    const job = fleet.trigger("helper", { prompt: "fail now" });
    const ended = await fleet.wait(job.id);
    expect(ended.status).toBe("failed");
    await until(() => slack.botMessages("CALERTS").length === 1, "the hook's post", 30_000);
    expect(slack.botMessages("CALERTS")[0]?.text).toMatch(
      new RegExp(`^\\*helper\\* job \`${job.id}\` failed`),
    );
  }, 120_000);

  it("an app-level token revoked while connected fails the connector at its next reconnect; the fleet runs on", async () => {
    slack.revokeAppToken();
    slack.dropSockets();
    await until(() => slackState("SLACK_BOT_TOKEN")?.status === "failed", "the connector to fail", 30_000);
    expect(slackState("SLACK_BOT_TOKEN")?.reason).toBe(
      "Slack refused the app-level token in SLACK_APP_TOKEN (token_revoked): the token was revoked; reinstall the app and export the new token",
    );
    const job = await fleet.wait(fleet.trigger("helper", { prompt: "remember yew" }).id);
    expect(job).toMatchObject({ status: "completed", summary: "noted yew" });
  }, 120_000);
});
