import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FleetManager } from "@herdctl/core";
import {
  type DiscordStandin,
  offlineResponder,
  type Standin,
  startDiscordStandin,
  startStandin,
} from "@herdctl/standin";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_API_ENV } from "../../../core/src/chat/discord/api-url.js";
import { claudeEnv } from "../../../core/test/helpers/claude-env.js";
import { until } from "../../../core/test/helpers/until.js";
import { startWebServer, type WebServer } from "../../src/server/index.js";
import { launchDashboardBrowser } from "../helpers/browser.js";

const GOOD = "dashboard-bot-token-0123456789";

describe("the dashboard's chat connections panel in headless Chromium (Discord and Messages API stand-ins)", () => {
  let dir: string;
  let api: Standin;
  let discord: DiscordStandin;
  let fleet: FleetManager;
  let web: WebServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "herdctl-web-connectors-"));
    mkdirSync(join(dir, "agents"));
    api = await startStandin({ responder: offlineResponder });
    discord = await startDiscordStandin({ heartbeatIntervalMs: 2000 });
    discord.addBot(GOOD, "helper-bot");
    const server = discord.addGuild("team", ["general"]);
    const chat = (env: string) =>
      `chat:\n  discord:\n    bot_token_env: ${env}\n    guilds:\n      - id: "${server.id}"\n        channels: [{ id: "${server.channels[0]!.id}", mode: mention }]\n`;
    writeFileSync(join(dir, "agents", "helper.yaml"), `name: helper\n${chat("HELPER_DISCORD_TOKEN")}`);
    writeFileSync(join(dir, "agents", "ghost.yaml"), `name: ghost\n${chat("GHOST_DISCORD_TOKEN")}`);
    writeFileSync(
      join(dir, "herdctl.yaml"),
      "version: 1\nfleet: { name: connectors }\nagents:\n  - path: ./agents/helper.yaml\n  - path: ./agents/ghost.yaml\n",
    );
    Object.assign(process.env, {
      HELPER_DISCORD_TOKEN: GOOD,
      GHOST_DISCORD_TOKEN: "a-token-discord-never-issued-9876543210",
      [DISCORD_API_ENV]: discord.apiUrl,
    });
    const stateDir = join(dir, ".herdctl");
    fleet = new FleetManager({ config: dir, stateDir, env: claudeEnv(api, dir), watchConfig: false });
    await fleet.start();
    await until(
      () => fleet.connectorStatuses().every((c) => c.status === "connected" || c.status === "failed"),
      "both connections settled",
    );
    web = await startWebServer(fleet, { host: "127.0.0.1", port: 0, stateDir });
    browser = await launchDashboardBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await fleet?.stop({ timeoutMs: 0 });
    await discord?.close();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows each bot's state, the agents on it and why a failed one failed, never the token", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(web.loginLink().url);
    const panel = page.getByTestId("connectors");
    await panel.waitFor();
    const good = page.getByTestId("connector-discord-HELPER_DISCORD_TOKEN");
    const bad = page.getByTestId("connector-discord-GHOST_DISCORD_TOKEN");
    expect(await good.textContent()).toMatch(/connected/);
    expect(await good.textContent()).toContain("helper");
    const failed = (await bad.textContent())!;
    expect(failed).toMatch(/failed/);
    expect(failed).toContain("ghost");
    // The reason shown is the one the API gives, in plain words.
    const reason = fleet.connectorStatuses().find((c) => c.key === "GHOST_DISCORD_TOKEN")!.reason!;
    expect(reason).toMatch(/Discord refused the bot token/);
    expect(failed).toContain(reason);
    const html = await page.content();
    expect(html).not.toContain(GOOD);
    expect(html).not.toContain("a-token-discord-never-issued");
  });
});
