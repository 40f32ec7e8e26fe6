import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bash,
  type DiscordStandin,
  type DiscordUser,
  discordUser,
  type Standin,
  script,
  startDiscordStandin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_API_ENV } from "../../../src/chat/discord/api-url.js";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import type { ApprovalRecord } from "../../../src/state/index.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { until } from "../../helpers/until.js";

const TOKEN = "approvals-bot-token-0123456789";

describe("approvals in Discord (Discord faked by its stand-in, Anthropic by the stand-in, real claude)", () => {
  let api: Standin;
  let discord: DiscordStandin;
  let bot: DiscordUser;
  let fleet: FleetManager;
  let ops: string;
  const tmp = tempDir();
  const alice = discordUser("alice");
  const mallory = discordUser("mallory");
  const logs: string[] = [];

  const fromBot = (channelId: string) => discord.messages(channelId).filter((m) => m.author.id === bot.id);
  const request = (channelId: string) => fromBot(channelId).find((m) => Array.isArray(m.components));
  const pending = () => fleet.listApprovals({ state: "pending" });
  const buttonsOf = (m: { components?: unknown }) =>
    (m.components as Array<{ components: Array<{ custom_id: string }> }>).flatMap((row) =>
      row.components.map((b) => b.custom_id),
    );

  beforeAll(async () => {
    api = await startStandin();
    discord = await startDiscordStandin({ heartbeatIntervalMs: 2000 });
    bot = discord.addBot(TOKEN, "ops-bot");
    const server = discord.addGuild("ops", ["ops"]);
    ops = server.channels[0]!.id;
    writeFileSync(
      join(tmp.dir, "herdctl.yaml"),
      "version: 1\nfleet: { name: approvals-chat }\nagents:\n  - path: ./ops.yaml\n",
    );
    writeFileSync(
      join(tmp.dir, "ops.yaml"),
      [
        "name: ops",
        "runtime: cli",
        "permission_mode: acceptEdits",
        "allowed_tools: [Bash]",
        'approvals: { tools: ["Bash(touch:*)"] }',
        "chat:",
        "  discord:",
        "    bot_token_env: OPS_DISCORD_TOKEN",
        "    output: { typing_indicator: false }",
        `    guilds: [{ id: "${server.id}", channels: [{ id: "${ops}", mode: auto, context_messages: 0 }] }]`,
        `    dm: { enabled: true, mode: auto, allowlist: ["${alice.id}"] }`,
        "",
      ].join("\n"),
    );
    Object.assign(process.env, { OPS_DISCORD_TOKEN: TOKEN, [DISCORD_API_ENV]: discord.apiUrl });
    fleet = new FleetManager({
      config: tmp.dir,
      env: claudeEnv(api, tmp.dir),
      watchConfig: false,
      log: (line) => logs.push(line),
    });
    await fleet.start();
    await until(() => fleet.connectorStatuses().some((c) => c.status === "connected"), "the bot connected");
  });

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await discord?.close();
    await api?.close();
    tmp.cleanup();
  });

  it("a request comes with buttons; a stranger's and a forged click are refused; the trusted click runs the tool and the answer arrives", async () => {
    api.setResponder(script([bash("touch approved.txt"), textReply("touched it")]));
    discord.dm(bot, alice, "touch the file please");
    const dm = () => discord.dmChannelOf(bot, alice)!.id;
    await until(
      () => discord.dmChannelOf(bot, alice) !== undefined && request(dm()) !== undefined,
      "the request",
    );
    const [asked] = pending() as [ApprovalRecord];
    const posted = request(dm())!;
    expect(posted.content).toContain(asked.id);
    expect(posted.content).toContain(`approve ${asked.id} [reason]`);
    const [approveButton] = buttonsOf(posted) as [string];
    expect(buttonsOf(posted)).toEqual([
      `herdctl-approval:approve:${asked.id}`,
      `herdctl-approval:deny:${asked.id}`,
    ]);

    const strangers = discord.click(dm(), posted.id, mallory, approveButton);
    const forged = discord.click(dm(), posted.id, alice, `herdctl-approval:approve:${asked.id}:../x`);
    await until(() => discord.interactionReplies.length >= 2, "two refusals");
    const replyTo = (id: string) => discord.interactionReplies.find((r) => r.interactionId === id)!;
    expect(replyTo(strangers)).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(replyTo(strangers).data?.content).toMatch(
      /^You cannot decide this: you may not talk to the agent/,
    );
    expect(replyTo(forged).data?.content).toMatch(/the button is not one herdctl posted/);
    expect(fleet.getApproval(asked.id)?.state).toBe("pending");

    // A message while the turn waits is answered at once, naming the request.
    discord.dm(bot, alice, "are you still there?");
    await until(
      () => fromBot(dm()).some((m) => m.content.includes("waiting for approval")),
      "the busy answer",
    );

    const approved = discord.click(dm(), posted.id, alice, approveButton);
    await until(
      () => discord.interactionReplies.some((r) => r.interactionId === approved),
      "the click's answer",
    );
    expect(replyTo(approved)).toMatchObject({ type: 7, data: { components: [] } });
    await until(() => fromBot(dm()).some((m) => m.content === "touched it"), "the turn's answer");
    expect(
      existsSync(join(tmp.dir, "approved.txt")) || existsSync(join(tmp.dir, "workspace", "approved.txt")),
    ).toBe(true);
    expect(fleet.getApproval(asked.id)).toMatchObject({
      state: "approved",
      decidedBy: `discord user alice (${alice.id})`,
      decidedVia: "discord",
    });
    expect(request(dm())!.content).toContain(`approved by discord user alice (${alice.id}) via discord`);
    const refused = fleet.audit().filter((e) => e.action === "approval.refused");
    expect(refused.map((e) => e.who).sort()).toEqual(
      [`discord user alice (${alice.id})`, `discord user mallory (${mallory.id})`].sort(),
    );
    expect(logs.filter((line) => line.includes("could not"))).toEqual([]);
  }, 180_000);

  it("a decision made elsewhere edits the request in the channel; a typed deny there names a request of another chat in vain", async () => {
    api.setResponder(script([bash("touch channel.txt"), textReply("left it alone")]));
    discord.say(ops, alice, "touch the channel file");
    await until(() => request(ops) !== undefined, "the request in the channel");
    const asked = pending().find((a) => a.input.includes("channel.txt"))!;
    discord.say(ops, alice, "deny apr-zzzzzzzz because");
    await until(
      () => fromBot(ops).some((m) => m.content.includes("not a request waiting in this chat")),
      "the refusal",
    );
    fleet.decideApproval(asked.id, { decision: "deny", by: "carol", via: "cli", reason: "later" });
    await until(() => (request(ops)!.components as unknown[]).length === 0, "the buttons taken away");
    expect(request(ops)!.content).toContain("denied by carol via cli (later)");
    await until(() => fromBot(ops).some((m) => m.content === "left it alone"), "the turn's answer");
  }, 180_000);
});
