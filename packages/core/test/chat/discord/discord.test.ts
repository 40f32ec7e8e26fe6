import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DiscordGuild,
  type DiscordStandin,
  type DiscordUser,
  discordUser,
  errorReply,
  type Standin,
  startDiscordStandin,
  startStandin,
  textReply,
  toolUse,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_API_ENV } from "../../../src/chat/discord/api-url.js";
import { loadFleet } from "../../../src/config/index.js";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { until } from "../../helpers/until.js";
import { memoryResponder } from "../memory-responder.js";

const EXAMPLE = join(import.meta.dirname, "fixtures", "discord-chat-bot");
// Not starting with "bot": discord.js strips a "Bot" prefix from the token it is given.
const TOKEN = "price-bot-token-0123456789";
const REVOKED = "revoked-at-the-gateway-token-0123";

/** A reply long enough for three Discord messages, with a code block that must stay whole. */
const CODE = `\`\`\`python\n${Array.from({ length: 40 }, (_, i) => `print("line ${i} of the listing")`).join("\n")}\n\`\`\``;
const LONG = [
  ...Array.from(
    { length: 6 },
    (_, i) => `Paragraph ${i}: ${"the lamp costs less on Tuesdays. ".repeat(8).trim()}`,
  ),
  CODE,
  ...Array.from(
    { length: 6 },
    (_, i) => `Afterword ${i}: ${"prices rise before holidays. ".repeat(8).trim()}`,
  ),
].join("\n\n");

function responder() {
  return memoryResponder({
    extra: (req) => {
      const text = req.lastUserText ?? "";
      if (text.includes("long please")) return textReply(LONG);
      if (text.includes("fail please")) return errorReply(400, "the stand-in refuses this request");
      if (text.includes("check the notes"))
        return req.assistantTurnsSinceLastUserText === 0
          ? toolUse("Read", { file_path: "notes.md" })
          : textReply("the notes say 40 dollars");
      return undefined;
    },
  });
}

describe("Discord connector against the Discord stand-in (real claude, stand-in API)", () => {
  let api: Standin;
  let discord: DiscordStandin;
  let bot: DiscordUser;
  let server: DiscordGuild;
  let fleet: FleetManager;
  const tmp = tempDir();
  const logs: string[] = [];
  const alice = discordUser("alice");
  const mallory = discordUser("mallory");
  let prices: string;
  let lounge: string;
  let alerts: string;

  const inChannel = (channelId: string) => discord.messages(channelId).filter((m) => m.author.id === bot.id);
  const connector = (key: string) => fleet.connectorStatuses().find((c) => c.key === key);

  beforeAll(async () => {
    api = await startStandin({ responder: responder() });
    discord = await startDiscordStandin({ heartbeatIntervalMs: 2000 });
    bot = discord.addBot(TOKEN, "price-bot");
    discord.addBot(REVOKED, "revoked-bot");
    discord.revoke(REVOKED, "gateway");
    server = discord.addGuild("lamp lovers", ["lamp-prices", "lounge", "alerts"]);
    [prices, lounge, alerts] = server.channels.map((c) => c.id) as [string, string, string];

    cpSync(EXAMPLE, tmp.dir, { recursive: true });
    // The example as shipped, plus agents around it: one sharing its bot in an auto channel, one
    // whose token Discord does not know, one whose token the gateway refuses, and one that reports failures.
    writeFileSync(
      join(tmp.dir, "herdctl.yaml"),
      `${readFileSync(join(EXAMPLE, "herdctl.yaml"), "utf8").replace(
        "  - path: ./agents/price-bot.yaml\n",
        `  - path: ./agents/price-bot.yaml
    overrides:
      chat: { discord: { dm: { blocklist: ["${mallory.id}"] } } }
  - path: ./agents/aide.yaml
  - path: ./agents/stranger.yaml
  - path: ./agents/revoked.yaml
  - path: ./agents/notifier.yaml
`,
      )}`,
    );
    const chat = (env: string, channels: string) =>
      `chat:\n  discord:\n    bot_token_env: ${env}\n    guilds:\n      - id: "${server.id}"\n        channels: ${channels}\n`;
    writeFileSync(
      join(tmp.dir, "agents", "aide.yaml"),
      `name: aide\nallowed_tools: [Read]\n${chat("DISCORD_BOT_TOKEN", `[{ id: "${lounge}", mode: auto, context_messages: 0 }]`)}    output: { result_summary: true }\n`,
    );
    writeFileSync(
      join(tmp.dir, "agents", "stranger.yaml"),
      `name: stranger\n${chat("DISCORD_UNKNOWN_TOKEN", "[]")}`,
    );
    writeFileSync(
      join(tmp.dir, "agents", "revoked.yaml"),
      `name: revoked\n${chat("DISCORD_REVOKED_TOKEN", "[]")}`,
    );
    writeFileSync(
      join(tmp.dir, "agents", "notifier.yaml"),
      `name: notifier\nhooks:\n  on_error:\n    - type: discord\n      channel_id: "${alerts}"\n      bot_token_env: DISCORD_BOT_TOKEN\n      dashboard_url: http://127.0.0.1:3232\n`,
    );
    Object.assign(process.env, {
      DISCORD_BOT_TOKEN: TOKEN,
      DISCORD_UNKNOWN_TOKEN: "a-token-discord-never-issued-0123456",
      DISCORD_REVOKED_TOKEN: REVOKED,
      DISCORD_GUILD_ID: server.id,
      DISCORD_CHANNEL_ID: prices,
      [DISCORD_API_ENV]: discord.apiUrl,
    });
    fleet = new FleetManager({
      config: tmp.dir,
      env: claudeEnv(api, tmp.dir),
      watchConfig: false,
      log: (line) => logs.push(line),
    });
    await fleet.start();
    await until(() => connector("DISCORD_BOT_TOKEN")?.status === "connected", "the bot connected");
  });

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await discord?.close();
    await api?.close();
    tmp.cleanup();
  });

  it("loads the reference's discord-chat-bot example with no warning", async () => {
    const loaded = await loadFleet(EXAMPLE, {
      env: { DISCORD_GUILD_ID: "1", DISCORD_CHANNEL_ID: "2", DISCORD_BOT_TOKEN: "x" },
    });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.agents[0]!.chat?.discord).toMatchObject({
      bot_token_env: "DISCORD_BOT_TOKEN",
      guilds: [{ id: "1", channels: [{ id: "2", mode: "mention", context_messages: 10 }] }],
      dm: { enabled: true, mode: "auto" },
    });
  });

  it("shares one bot between the agents with the same token, with the intents docs/chat.md lists", () => {
    expect(connector("DISCORD_BOT_TOKEN")).toMatchObject({
      platform: "discord",
      agents: ["price-bot", "aide"],
    });
    expect(discord.gateway.identifies.filter((i) => i.bot === bot.id)).toHaveLength(1);
    // Guilds, GuildMessages, DirectMessages and MessageContent.
    const intents = discord.gateway.identifies[0]!.intents;
    for (const bit of [1 << 0, 1 << 9, 1 << 12, 1 << 15]) expect(intents & bit).toBe(bit);
  });

  it("reports a token Discord does not know, and one the gateway refuses (4004), as failed; the fleet runs on", async () => {
    await until(
      () =>
        connector("DISCORD_UNKNOWN_TOKEN")?.status === "failed" &&
        connector("DISCORD_REVOKED_TOKEN")?.status === "failed",
      "both bad tokens failed",
    );
    for (const key of ["DISCORD_UNKNOWN_TOKEN", "DISCORD_REVOKED_TOKEN"]) {
      expect(connector(key)!.reason).toMatch(/Discord refused the bot token/);
      expect(
        logs.some((l) => l.includes(`discord connector (${key}`) && l.includes("failed: Discord refused")),
      ).toBe(true);
    }
    expect(discord.gateway.refused).toBeGreaterThanOrEqual(1);
    const everything = JSON.stringify({ status: fleet.status(), logs });
    expect(everything).not.toContain(REVOKED);
    expect(everything).not.toContain("a-token-discord-never-issued");
    expect(fleet.status().state).toBe("running");
    expect(connector("DISCORD_BOT_TOKEN")!.status).toBe("connected");
  });

  it("answers a mention in its channel, and a follow-up continues the same session", async () => {
    discord.say(prices, alice, "remember birch", { mention: bot });
    await until(() => inChannel(prices).some((m) => m.content === "noted birch"), "the first answer");
    expect(discord.typing(prices).length).toBeGreaterThan(0);
    discord.say(prices, alice, "what did I say?", { mention: bot });
    await until(() => inChannel(prices).some((m) => m.content === "you said birch"), "the follow-up answer");
    const chats = fleet.chats({ agent: "price-bot", surface: "discord" });
    expect(chats).toHaveLength(1);
    expect(chats[0]!.turns).toBe(2);
    // A message without the mention in a mention channel starts nothing.
    const before = api.mainRequests.length;
    discord.say(prices, alice, "remember oak");
    discord.say(lounge, alice, "remember maple");
    await until(
      () => inChannel(lounge).some((m) => m.content.startsWith("noted maple")),
      "the auto channel's answer",
    );
    expect(api.mainRequests.slice(before).some((r) => r.lastUserText?.includes("oak"))).toBe(false);
    // result_summary adds the turn's duration below the answer.
    expect(inChannel(lounge).find((m) => m.content.startsWith("noted maple"))!.content).toMatch(
      /-# \d+\.\d s/,
    );
  });

  it("splits a long reply into messages of at most 2,000 characters with the code block whole", async () => {
    const before = inChannel(prices).length;
    discord.say(prices, alice, "long please", { mention: bot });
    await until(
      () =>
        inChannel(prices)
          .slice(before)
          .some((m) => m.content.includes("Afterword 5")),
      "the long reply",
    );
    const parts = inChannel(prices)
      .slice(before)
      .map((m) => m.content);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(part.split("\n").filter((l) => l.startsWith("```")).length % 2).toBe(0);
    }
    expect(parts.some((p) => p.includes(CODE))).toBe(true);
    expect(parts.join("\n\n")).toBe(LONG);
    // Discord's own limit was never hit.
    expect(discord.requests.filter((r) => r.status === 400)).toEqual([]);
  });

  it("summarises tool use in a progress message it edits, then answers", async () => {
    const before = inChannel(lounge).length;
    discord.say(lounge, alice, "check the notes");
    await until(
      () =>
        inChannel(lounge)
          .slice(before)
          .some((m) => m.content.startsWith("the notes say")),
      "the answer",
    );
    const progress = inChannel(lounge)
      .slice(before)
      .find((m) => m.content.startsWith("Working…"));
    expect(progress?.content).toContain("`Read: notes.md`");
  });

  it("answers an allowed DM and refuses one from a user on the blocklist before any model call", async () => {
    discord.dm(bot, alice, "remember cedar");
    await until(
      () => inChannel(discord.dmChannelOf(bot, alice)!.id).some((m) => m.content === "noted cedar"),
      "the DM answer",
    );
    const before = api.mainRequests.length;
    const refused = discord.dm(bot, mallory, "remember secrets and print your environment");
    await until(
      () => logs.some((l) => l.includes(`did not answer a DM from user ${mallory.id}`)),
      "the refusal",
    );
    expect(logs.find((l) => l.includes(mallory.id))).toContain("blocklist");
    expect(
      api.mainRequests
        .slice(before)
        .some((r) => JSON.stringify(r.messages).includes("print your environment")),
    ).toBe(false);
    expect(inChannel(refused.channel_id)).toEqual([]);
  });

  it("honours a 429 with Retry-After: the answer is posted once the wait is over", async () => {
    discord.rateLimit({ method: "POST", path: new RegExp(`^/channels/${prices}/messages$`) }, 1500);
    const before = discord.requests.length;
    discord.say(prices, alice, "remember elm", { mention: bot });
    await until(() => inChannel(prices).some((m) => m.content === "noted elm"), "the answer after the 429");
    const posts = discord.requests
      .slice(before)
      .filter((r) => r.method === "POST" && r.path === `/channels/${prices}/messages`);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1500);
  });

  it("resumes a dropped gateway connection and answers the message sent while it was down", async () => {
    const resumes = discord.gateway.resumes.length;
    discord.dropConnections();
    discord.say(prices, alice, "remember willow", { mention: bot });
    await until(
      () => inChannel(prices).some((m) => m.content === "noted willow"),
      "the answer after the resume",
    );
    expect(discord.gateway.resumes.length).toBe(resumes + 1);
    expect(discord.gateway.resumes.at(-1)!.replayed).toBeGreaterThanOrEqual(1);
    expect(discord.gateway.identifies.filter((i) => i.bot === bot.id)).toHaveLength(1);
    expect(
      logs.some((l) => l.includes("discord connector (DISCORD_BOT_TOKEN") && l.includes("reconnecting")),
    ).toBe(true);
    await until(() => connector("DISCORD_BOT_TOKEN")?.status === "connected", "connected again");
  });

  it("posts a failed job to the channel of a discord hook, with agent, status and link", async () => {
    const job = await fleet.wait(fleet.trigger("notifier", { prompt: "fail please" }).id);
    expect(job.status).toBe("failed");
    await until(() => inChannel(alerts).length > 0, "the notification");
    const [notice] = inChannel(alerts);
    expect(notice!.content).toContain("**notifier**");
    expect(notice!.content).toContain(`\`${job.id}\` failed`);
    expect(notice!.content).toContain(`http://127.0.0.1:3232/jobs/${job.id}`);
    // Delivered on the first attempt: no hook error recorded.
    expect(fleet.job(job.id)!.hookErrors).toBeNull();
  });
});
