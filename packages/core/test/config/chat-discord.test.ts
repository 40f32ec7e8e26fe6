import { describe, expect, it } from "vitest";
import { formatIssue, loadFleet } from "../../src/config/index.js";
import { problems, writeFleet } from "./helpers.js";

const FLEET = "version: 1\nagents:\n  - path: ./agents/a.yaml\n";

function agent(chat: string): Record<string, string> {
  return { "herdctl.yaml": FLEET, "agents/a.yaml": `name: a\nchat:\n  discord:\n${chat}` };
}

describe("chat.discord in an agent file", () => {
  it("refuses an unquoted id, a mode that does not exist and a token where its variable's name goes, naming file and line", async () => {
    const dir = writeFleet(
      agent(
        [
          "    bot_token_env: MTIzNDU2.Gh7xYz.abcdefghijklmnopqrstuvwxyz0123",
          "    guilds:",
          "      - id: 123456789012345678",
          '        channels: [{ id: "42", mode: always }]',
          "",
        ].join("\n"),
      ),
    );
    const found = await problems(dir);
    // YAML already rounded the number (…678 became …680): why an unquoted id is refused.
    expect(found).toEqual([
      'agents/a.yaml:4:20 chat.discord.bot_token_env: "MTIzNDU2.Gh7…" is not an environment variable name',
      "agents/a.yaml:6:13 chat.discord.guilds[0].id: 123456789012345680 must be quoted: a Discord id is too large for a number and would lose digits",
      'agents/a.yaml:7:38 chat.discord.guilds[0].channels[0].mode: "always" is not one of: mention, auto',
    ]);
    // The token-like value is never printed whole.
    expect(found.join("\n")).not.toContain("abcdefghijklmnopqrstuvwxyz0123");
  });

  it("loads the keys it does not act on with a warning each, linking docs/migrating.md#chat", async () => {
    const dir = writeFleet(
      agent(
        [
          "    bot_token_env: DISCORD_BOT_TOKEN",
          "    voice: { enabled: true }",
          "    output: { acknowledge_emoji: '👀', final_answer_only: false }",
          "    guilds:",
          '      - id: "1"',
          "        dm: { enabled: true }",
          '        channels: [{ id: "2" }]',
          "",
        ].join("\n"),
      ),
    );
    const loaded = await loadFleet(dir, { env: {} });
    const warnings = loaded.warnings.map((w) => formatIssue({ ...w, hint: undefined }));
    expect(warnings).toHaveLength(3);
    for (const key of [
      '"chat.discord.voice"',
      '"chat.discord.output.acknowledge_emoji"',
      '"chat.discord.guilds[].dm"',
    ])
      expect(warnings.some((w) => w.includes(`${key} is not supported by herdctl and is ignored`))).toBe(
        true,
      );
    for (const w of warnings) expect(w).toContain("docs/migrating.md#chat");
    expect(loaded.agents[0]!.chat?.discord).toMatchObject({
      output: { assistant_messages: "all", typing_indicator: true },
      guilds: [{ id: "1", channels: [{ id: "2", mode: "mention", context_messages: 10 }] }],
    });
    expect(loaded.agents[0]!.chat?.discord?.dm).toBeUndefined();
  });
});
