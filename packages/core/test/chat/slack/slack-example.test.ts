import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type SlackStandin,
  type Standin,
  startSlackStandin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFleet } from "../../../src/config/index.js";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { until } from "../../helpers/until.js";

const EXAMPLE = join(import.meta.dirname, "fixtures", "slack-chat-bot");

// The reference's slack-chat-bot example (a fixture in our words, its keys as users write them),
// run with real claude against the Messages API stand-in and the Slack stand-in.
describe("the reference's slack-chat-bot example", () => {
  let standin: Standin;
  let slack: SlackStandin;
  let fleet: FleetManager;
  const tmp = tempDir();

  beforeAll(async () => {
    standin = await startStandin({ responder: () => textReply("Here to help.") });
    slack = await startSlackStandin();
    cpSync(EXAMPLE, tmp.dir, { recursive: true });
    writeFileSync(
      join(tmp.dir, ".env"),
      `SLACK_CHANNEL_ID=CTEAM\nHERDCTL_SLACK_API_URL=${slack.apiUrl}\nSLACK_BOT_TOKEN=${slack.botToken}\nSLACK_APP_TOKEN=${slack.appToken}\n`,
    );
  });
  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await slack?.close();
    await standin?.close();
    tmp.cleanup();
  });

  it("loads without a warning, its Slack section and hook kept", async () => {
    const loaded = await loadFleet(EXAMPLE, { env: { SLACK_CHANNEL_ID: "CTEAM" } });
    expect(loaded.warnings.map((w) => w.message)).toEqual([]);
    const [assistant] = loaded.agents;
    expect(assistant?.chat?.slack).toMatchObject({
      bot_token_env: "SLACK_BOT_TOKEN",
      app_token_env: "SLACK_APP_TOKEN",
      channels: [{ id: "CTEAM", mode: "mention", context_messages: 10 }],
    });
    expect(assistant?.hooks?.after_run).toMatchObject([{ type: "slack", channel_id: "CTEAM" }]);
  });

  it("answers a mention in its thread and reports the turn in the channel", async () => {
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    await until(() => fleet.connectorStatuses()[0]?.status === "connected", "the Slack connector", 30_000);
    const ts = slack.mention({ channel: "CTEAM", text: `<@${slack.botUserId}> are you there?` });
    await until(
      () => slack.botMessages("CTEAM", ts).some((m) => m.text === "Here to help."),
      "the answer in the thread",
      120_000,
    );
    await until(
      () =>
        slack
          .botMessages("CTEAM")
          .some((m) => m.thread_ts === undefined && m.text.startsWith("*assistant* job")),
      "the after_run hook's post",
      30_000,
    );
  }, 150_000);
});
