import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type SlackStandin,
  type Standin,
  startSlackStandin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLACK_HEARTBEAT_MS } from "../../../src/chat/slack/connector.js";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { writeAgents } from "../../helpers/multi-fleet.js";
import { until } from "../../helpers/until.js";

const SILENT_MS = 60_000;

// Split from slack-connector.test.ts to wait in the silences lane (vitest.config.ts) instead of
// holding a worker: a minute of silence, the length every waiting path is tested across.
describe("a Slack turn whose model is silent for a minute (real claude, stand-in API, Slack stand-in)", () => {
  let api: Standin;
  let slack: SlackStandin;
  let fleet: FleetManager;
  const tmp = tempDir();

  beforeAll(async () => {
    api = await startStandin({ responder: () => textReply("slow and steady", { delayMs: SILENT_MS }) });
    slack = await startSlackStandin();
    writeAgents(tmp.dir, {
      patient:
        "chat:\n  slack:\n    bot_token_env: SLACK_BOT_TOKEN\n    app_token_env: SLACK_APP_TOKEN\n" +
        "    channels:\n      - id: CHELP\n        mode: mention\n",
    });
    writeFileSync(
      join(tmp.dir, ".env"),
      [
        `HERDCTL_SLACK_API_URL=${slack.apiUrl}`,
        `SLACK_BOT_TOKEN=${slack.botToken}`,
        `SLACK_APP_TOKEN=${slack.appToken}`,
        "",
      ].join("\n"),
    );
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(api, tmp.dir), watchConfig: false });
    await fleet.start();
    await until(() => fleet.connectorStatuses()[0]?.status === "connected", "the Slack connector to connect");
  }, 60_000);

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await slack?.close();
    await api?.close();
    tmp.cleanup();
  });

  it("keeps the working message alive through the silence, stays connected and answers", async () => {
    const ts = slack.mention({ channel: "CHELP", text: `<@${slack.botUserId}> think slowly` });
    const replies = () => slack.botMessages("CHELP", ts).filter((m) => m.ts !== ts);
    await until(
      () => replies().some((m) => m.text.includes("slow and steady")),
      "the answer after the silence",
      SILENT_MS * 3,
    );
    const working = replies()[0]!;
    const edits = slack.calls.filter((c) => c.method === "chat.update" && c.args["ts"] === working.ts);
    // Refreshed every SLACK_HEARTBEAT_MS through the silence, then replaced by the answer.
    expect(edits.length).toBeGreaterThanOrEqual(Math.floor(SILENT_MS / SLACK_HEARTBEAT_MS));
    expect(edits.slice(0, -1).every((c) => String(c.args["text"]).includes("Working on it"))).toBe(true);
    expect(edits.at(-1)!.args["text"]).toBe("slow and steady");
    const gaps = edits.slice(1).map((c, i) => c.at - edits[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(2 * SLACK_HEARTBEAT_MS);
    expect(
      api.mainRequests.filter((r) => r.turn?.kind === "text" && r.turn.delayMs === SILENT_MS),
    ).toHaveLength(1);
    expect(fleet.connectorStatuses()[0]!.status).toBe("connected");
  }, 240_000);
});
