import { describe, expect, it } from "vitest";
import { routeMessage } from "../../../src/chat/discord/routing.js";
import { loadFleetObject } from "../../../src/config/index.js";

/** Two agents on one bot: one answers mentions in #help (and its threads) and some DMs; one owns #chatter. */
async function agents() {
  const loaded = await loadFleetObject({
    agents: [
      {
        name: "helper",
        chat: {
          discord: {
            bot_token_env: "TOKEN",
            guilds: [{ id: "1", channels: [{ id: "10", mode: "mention" }] }],
            dm: { allowlist: ["100", "200"], blocklist: ["200"] },
          },
        },
      },
      {
        name: "chatty",
        chat: {
          discord: {
            bot_token_env: "TOKEN",
            guilds: [{ id: "1", channels: [{ id: "20", mode: "auto", context_messages: 0 }] }],
          },
        },
      },
    ],
  });
  return loaded.agents;
}

const base = { guildId: "1", parentId: null, authorId: "100", authorIsBot: false, mentionsBot: false };

describe("which Discord messages become turns, and whose", () => {
  it("answers a mention in a mention channel, and in a thread of it under the thread's own key", async () => {
    const list = await agents();
    expect(routeMessage({ ...base, channelId: "10", mentionsBot: true }, list)).toMatchObject({
      kind: "answer",
      agent: { name: "helper" },
      key: "discord:10",
      contextMessages: 10,
    });
    expect(routeMessage({ ...base, channelId: "11", parentId: "10", mentionsBot: true }, list)).toMatchObject(
      {
        kind: "answer",
        key: "discord:11",
      },
    );
    expect(routeMessage({ ...base, channelId: "10" }, list).kind).toBe("ignored");
  });

  it("answers everything in an auto channel with its agent; nothing in an unlisted channel or from a bot", async () => {
    const list = await agents();
    expect(routeMessage({ ...base, channelId: "20" }, list)).toMatchObject({ agent: { name: "chatty" } });
    expect(routeMessage({ ...base, channelId: "30", mentionsBot: true }, list).kind).toBe("ignored");
    expect(routeMessage({ ...base, guildId: "2", channelId: "20" }, list).kind).toBe("ignored");
    expect(routeMessage({ ...base, channelId: "20", authorIsBot: true }, list).kind).toBe("ignored");
  });

  it("lets a DM through only when a dm block allows the sender, the blocklist winning", async () => {
    const list = await agents();
    const dm = { ...base, guildId: null, channelId: "99" };
    expect(routeMessage(dm, list)).toMatchObject({
      kind: "answer",
      agent: { name: "helper" },
      key: "discord:99",
    });
    expect(routeMessage({ ...dm, authorId: "200" }, list)).toMatchObject({
      kind: "refused",
      reason: "the sender is on chat.discord.dm.blocklist",
    });
    expect(routeMessage({ ...dm, authorId: "300" }, list)).toMatchObject({
      kind: "refused",
      reason: "the sender is not on chat.discord.dm.allowlist",
    });
    // An agent without a dm block takes no DMs: chatty alone refuses everyone.
    expect(routeMessage(dm, list.slice(1))).toMatchObject({ kind: "refused", agent: "chatty" });
  });
});
