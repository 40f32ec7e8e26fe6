import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DiscordStandin,
  discordUser,
  type Standin,
  startDiscordStandin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_API_ENV } from "../../../src/chat/discord/api-url.js";
import { TYPING_REFRESH_MS } from "../../../src/chat/discord/reply.js";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { until } from "../../helpers/until.js";

const SILENT_MS = 60_000;
const TOKEN = "silent-turn-token-0123456789";

describe("a Discord turn whose model is silent for a minute (real claude, stand-in API, Discord stand-in)", () => {
  let api: Standin;
  let discord: DiscordStandin;
  let fleet: FleetManager;
  let room: string;
  const tmp = tempDir();

  beforeAll(async () => {
    api = await startStandin({ responder: () => textReply("worth the wait", { delayMs: SILENT_MS }) });
    discord = await startDiscordStandin();
    discord.addBot(TOKEN, "patient-bot");
    const server = discord.addGuild("patience", ["waiting-room"]);
    room = server.channels[0]!.id;
    mkdirSync(join(tmp.dir, "agents"));
    writeFileSync(join(tmp.dir, "herdctl.yaml"), "version: 1\nagents:\n  - path: ./agents/patient.yaml\n");
    writeFileSync(
      join(tmp.dir, "agents", "patient.yaml"),
      `name: patient\nchat:\n  discord:\n    bot_token_env: PATIENT_TOKEN\n    guilds:\n      - id: "${server.id}"\n        channels: [{ id: "${room}", mode: auto }]\n`,
    );
    Object.assign(process.env, { PATIENT_TOKEN: TOKEN, [DISCORD_API_ENV]: discord.apiUrl });
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(api, tmp.dir), watchConfig: false });
    await fleet.start();
    await until(() => fleet.connectorStatuses()[0]?.status === "connected", "the bot connected");
  });

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await discord?.close();
    await api?.close();
    tmp.cleanup();
  });

  it("keeps typing through the silence, stays connected and answers", async () => {
    const asked = Date.now();
    discord.say(room, discordUser("ada"), "take your time");
    await until(
      () => discord.messages(room).some((m) => m.content === "worth the wait"),
      "the answer after the silence",
      SILENT_MS * 3,
    );
    const answered = Date.now();
    const typing = discord.typing(room).filter((at) => at >= asked && at <= answered);
    // Discord drops the indicator ~10 s after each request: it was renewed all the way through.
    expect(typing.length).toBeGreaterThanOrEqual(Math.floor(SILENT_MS / TYPING_REFRESH_MS));
    const gaps = typing.slice(1).map((at, i) => at - typing[i]!);
    expect(Math.max(...gaps)).toBeLessThan(10_000);
    expect(
      api.mainRequests.filter((r) => r.turn?.kind === "text" && r.turn.delayMs === SILENT_MS),
    ).toHaveLength(1);
    expect(fleet.connectorStatuses()[0]!.status).toBe("connected");
  }, 180_000);
});
