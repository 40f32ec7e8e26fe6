import { describe, expect, it } from "vitest";
import { routeSlackEvent, type SlackAgentRoute } from "../../../src/chat/slack/routing.js";

const BOT = "UBOT";
const routes: SlackAgentRoute[] = [
  {
    agent: "helper",
    channels: [
      { id: "CMENTION", mode: "mention", context_messages: 10 },
      { id: "CAUTO", mode: "auto", context_messages: 3 },
    ],
    dm: { enabled: true, allowlist: ["UALLOWED", "UBLOCKED"], blocklist: ["UBLOCKED"] },
  },
  { agent: "other", channels: [{ id: "COTHER", mode: "mention", context_messages: 0 }] },
];

const route = (event: Record<string, unknown>) =>
  routeSlackEvent({ user: "UALICE", ts: "100.000001", ...event }, routes, BOT);

describe("which Slack events become chat turns", () => {
  it("a mention in a listed channel is a turn for that channel's agent, on a thread of its own", () => {
    expect(route({ type: "app_mention", channel: "COTHER", text: `<@${BOT}>  what's up?` })).toEqual({
      kind: "turn",
      agent: "other",
      channel: "COTHER",
      threadTs: "100.000001",
      key: "slack:COTHER:100.000001",
      text: "what's up?",
      user: "UALICE",
      ts: "100.000001",
      contextMessages: 0,
      onlyIfKnown: false,
    });
  });

  it("gives the agent the text as written: entities undone, newlines kept", () => {
    const r = route({
      type: "app_mention",
      channel: "CMENTION",
      text: `<@${BOT}> is a &lt;b&gt; &amp;\n\n  indented`,
    });
    expect(r).toMatchObject({ kind: "turn", text: "is a <b> &\n\n  indented" });
  });

  it("a mention inside a thread continues that thread's conversation", () => {
    const r = route({
      type: "app_mention",
      channel: "CMENTION",
      text: `<@${BOT}> and?`,
      thread_ts: "99.000001",
    });
    expect(r).toMatchObject({ kind: "turn", key: "slack:CMENTION:99.000001", threadTs: "99.000001" });
  });

  it("answers the app_mention copy of a mention, not the message copy", () => {
    expect(
      route({ type: "message", channel: "CAUTO", channel_type: "channel", text: `<@${BOT}> hi` }),
    ).toEqual({
      kind: "ignore",
    });
  });

  it("any message in an auto channel is a turn; in a mention channel only thread replies may be", () => {
    expect(
      route({ type: "message", channel: "CAUTO", channel_type: "channel", text: "hello" }),
    ).toMatchObject({
      kind: "turn",
      agent: "helper",
      contextMessages: 3,
    });
    expect(route({ type: "message", channel: "CMENTION", channel_type: "channel", text: "hello" })).toEqual({
      kind: "ignore",
    });
    expect(
      route({
        type: "message",
        channel: "CMENTION",
        channel_type: "channel",
        text: "more",
        thread_ts: "99.000001",
      }),
    ).toMatchObject({ kind: "turn", onlyIfKnown: true, key: "slack:CMENTION:99.000001" });
  });

  it("ignores unlisted channels, bots, its own posts, edits and empty text", () => {
    expect(route({ type: "app_mention", channel: "CELSE", text: `<@${BOT}> hi` })).toEqual({
      kind: "ignore",
    });
    expect(route({ type: "message", channel: "CAUTO", text: "hi", bot_id: "B1" })).toEqual({
      kind: "ignore",
    });
    expect(route({ type: "message", channel: "CAUTO", text: "hi", user: BOT })).toEqual({ kind: "ignore" });
    expect(route({ type: "message", channel: "CAUTO", text: "hi", subtype: "message_changed" })).toEqual({
      kind: "ignore",
    });
    expect(route({ type: "app_mention", channel: "CAUTO", text: `<@${BOT}>` })).toEqual({ kind: "ignore" });
  });

  it("a DM is one conversation answered in place, allowed by the allowlist and refused by the blocklist", () => {
    const dm = { type: "message", channel: "D1", channel_type: "im", text: "hi" };
    expect(route({ ...dm, user: "UALLOWED" })).toMatchObject({
      kind: "turn",
      agent: "helper",
      key: "slack:D1:dm",
      threadTs: undefined,
    });
    expect(route({ ...dm, user: "UBLOCKED" })).toMatchObject({ kind: "refuse", channel: "D1" });
    expect(route({ ...dm, user: "USTRANGER" })).toMatchObject({ kind: "refuse" });
  });

  it("refuses every DM when no agent on the bot takes them", () => {
    const r = routeSlackEvent(
      { type: "message", channel: "D1", channel_type: "im", user: "UALICE", ts: "1.1", text: "hi" },
      [routes[1]!],
      BOT,
    );
    expect(r).toEqual({
      kind: "refuse",
      channel: "D1",
      threadTs: undefined,
      reason: "direct messages are turned off for this bot",
    });
  });
});
