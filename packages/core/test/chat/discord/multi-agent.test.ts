import { cpSync } from "node:fs";
import { join } from "node:path";
import {
  type DiscordStandin,
  type DiscordUser,
  discordUser,
  type Standin,
  startDiscordStandin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_API_ENV } from "../../../src/chat/discord/api-url.js";
import { loadFleet } from "../../../src/config/index.js";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { until } from "../../helpers/until.js";

const EXAMPLE = join(import.meta.dirname, "fixtures", "multi-agent");
const PERSONAS = ["harbour-master", "lighthouse-keeper", "ferry-captain"] as const;
const TOKEN_ENV = {
  "harbour-master": "HARBOUR_BOT_TOKEN",
  "lighthouse-keeper": "LIGHTHOUSE_BOT_TOKEN",
  "ferry-captain": "FERRY_BOT_TOKEN",
} as const;

describe("the reference's multi-agent example: one bot per agent in one channel (Discord and Messages API stand-ins, real claude)", () => {
  let api: Standin;
  let discord: DiscordStandin;
  let fleet: FleetManager;
  const bots = new Map<string, DiscordUser>();
  const tmp = tempDir();
  const logs: string[] = [];
  const alice = discordUser("alice");
  let council: string;
  let guild: string;

  const postedBy = (persona: string) =>
    discord.messages(council).filter((m) => m.author.id === bots.get(persona)!.id);

  beforeAll(async () => {
    // Each persona answers in its own name, read from the system prompt herdctl gave claude.
    api = await startStandin({
      responder: (req) => {
        const who = PERSONAS.find((p) => req.systemText.includes(`You speak as the ${p}`)) ?? "nobody";
        return textReply(`${who} here: ${req.lastUserText?.trim() ?? ""}`);
      },
    });
    discord = await startDiscordStandin({ heartbeatIntervalMs: 2000 });
    for (const persona of PERSONAS) bots.set(persona, discord.addBot(`${persona}-token-0123456789`, persona));
    const server = discord.addGuild("harbour town", ["harbour-council"]);
    guild = server.id;
    council = server.channels[0]!.id;
    cpSync(EXAMPLE, tmp.dir, { recursive: true });
    Object.assign(process.env, {
      ...Object.fromEntries(PERSONAS.map((p) => [TOKEN_ENV[p], `${p}-token-0123456789`])),
      DISCORD_GUILD_ID: guild,
      DISCORD_CHANNEL_ID: council,
      [DISCORD_API_ENV]: discord.apiUrl,
    });
    fleet = new FleetManager({
      config: tmp.dir,
      env: claudeEnv(api, tmp.dir),
      watchConfig: false,
      log: (line) => logs.push(line),
    });
    await fleet.start();
    await until(
      () => fleet.connectorStatuses().filter((c) => c.status === "connected").length === PERSONAS.length,
      "every persona's bot connected",
    );
  });

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await discord?.close();
    await api?.close();
    tmp.cleanup();
  });

  it("loads with no warning, one connection per bot token", async () => {
    const loaded = await loadFleet(EXAMPLE, {
      env: {
        DISCORD_GUILD_ID: "1",
        DISCORD_CHANNEL_ID: "2",
        ...Object.fromEntries(Object.values(TOKEN_ENV).map((e) => [e, "x"])),
      },
    });
    expect(loaded.warnings).toEqual([]);
    expect(
      fleet
        .connectorStatuses()
        .map((c) => ({ key: c.key, agents: c.agents }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual(
      PERSONAS.map((p) => ({ key: TOKEN_ENV[p], agents: [p] })).sort((a, b) => a.key.localeCompare(b.key)),
    );
  });

  it("only the mentioned persona answers, in its own voice; the others stay quiet", async () => {
    const before = api.mainRequests.length;
    discord.say(council, alice, "when does the light come on?", { mention: bots.get("lighthouse-keeper")! });
    await until(() => postedBy("lighthouse-keeper").length > 0, "the lighthouse keeper's answer");
    expect(postedBy("lighthouse-keeper")[0]!.content).toBe(
      "lighthouse-keeper here: when does the light come on?",
    );
    discord.say(council, alice, "is the ferry late?", { mention: bots.get("ferry-captain")! });
    await until(() => postedBy("ferry-captain").length > 0, "the ferry captain's answer");
    // Its first turn carries the channel's recent messages (context_messages), the other bot's included.
    expect(postedBy("ferry-captain")[0]!.content).toMatch(
      /^ferry-captain here: [\s\S]*when does the light come on\?[\s\S]*is the ferry late\?$/,
    );
    expect(postedBy("harbour-master")).toEqual([]);
    expect(postedBy("lighthouse-keeper")).toHaveLength(1);
    // One model call per mention: nobody else took a turn.
    expect(api.mainRequests.length - before).toBe(2);
    expect(
      fleet
        .chats({ surface: "discord" })
        .map((c) => c.agent)
        .sort(),
    ).toEqual(["ferry-captain", "lighthouse-keeper"]);
  });

  it("DMs are off for every persona (dm.enabled: false): refused without a model call", async () => {
    const before = api.mainRequests.length;
    discord.dm(bots.get("harbour-master")!, alice, "tell me a secret");
    await until(
      () => logs.some((l) => l.includes(`did not answer a DM from user ${alice.id}`)),
      "the refusal",
    );
    expect(api.mainRequests.length).toBe(before);
  });
});
