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

// One minute of model silence, as real turns have: the Socket Mode connection, the thread's
// "Working on it…" message and the turn must all outlast it. Waits, so it runs in the silences lane.
describe("a Slack turn whose model is silent for a minute (real claude, stand-in API, Slack stand-in)", () => {
  let api: Standin;
  let slack: SlackStandin;
  let fleet: FleetManager;
  const tmp = tempDir();
  const connector = () => fleet.connectorStatuses().find((c) => c.platform === "slack");

  beforeAll(async () => {
    api = await startStandin({ responder: () => textReply("worth the wait", { delayMs: SILENT_MS }) });
    slack = await startSlackStandin();
    writeAgents(tmp.dir, {
      patient:
        "chat:\n  slack:\n    bot_token_env: SLACK_BOT_TOKEN\n    app_token_env: SLACK_APP_TOKEN\n" +
        "    channels:\n      - id: CWAIT\n        mode: mention\n",
    });
    // The fleet's .env, as a user keeps tokens; the connector reads them from there.
    writeFileSync(
      join(tmp.dir, ".env"),
      `HERDCTL_SLACK_API_URL=${slack.apiUrl}\nSLACK_BOT_TOKEN=${slack.botToken}\nSLACK_APP_TOKEN=${slack.appToken}\n`,
    );
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(api, tmp.dir), watchConfig: false });
    await fleet.start();
    await until(() => connector()?.status === "connected", "the Slack connector to connect", 30_000);
  }, 60_000);

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await slack?.close();
    await api?.close();
    tmp.cleanup();
  });

  it("refreshes the working message through the silence, stays connected, then answers in the thread", async () => {
    const connections = slack.connections;
    const ts = slack.mention({ channel: "CWAIT", text: `<@${slack.botUserId}> take your time` });
    await until(
      () => slack.botMessages("CWAIT", ts).some((m) => m.ts !== ts && m.text === "worth the wait"),
      "the answer after the silence",
      SILENT_MS * 3,
    );
    const working = slack.botMessages("CWAIT", ts).find((m) => m.ts !== ts)!;
    const edits = slack.calls.filter((c) => c.method === "chat.update" && c.args["ts"] === working.ts);
    const refreshes = edits.filter((c) => String(c.args["text"]).includes("Working on it"));
    // A refresh every heartbeat for the whole minute, never a gap Slack users would read as dead.
    expect(refreshes.length).toBeGreaterThanOrEqual(Math.floor(SILENT_MS / SLACK_HEARTBEAT_MS) - 1);
    const times = edits.map((c) => c.at);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    expect(Math.max(...gaps)).toBeLessThan(SLACK_HEARTBEAT_MS * 2);
    expect(String(edits.at(-1)!.args["text"])).toBe("worth the wait");
    expect(
      api.mainRequests.filter((r) => r.turn?.kind === "text" && r.turn.delayMs === SILENT_MS),
    ).toHaveLength(1);
    expect(slack.connections).toBe(connections);
    expect(connector()?.status).toBe("connected");
  }, 240_000);
});
