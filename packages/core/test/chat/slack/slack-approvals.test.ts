import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bash,
  type SlackStandin,
  type Standin,
  script,
  startSlackStandin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetManager } from "../../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../../helpers/claude-env.js";
import { tempDir } from "../../helpers/fleet.js";
import { writeAgents } from "../../helpers/multi-fleet.js";
import { until } from "../../helpers/until.js";

// The SDK runtime here (Discord's test uses the CLI one): both keep a chat's claude between turns.
describe("approvals in Slack (Slack faked by its stand-in, Anthropic by the stand-in, real claude, SDK runtime)", () => {
  let standin: Standin;
  let slack: SlackStandin;
  let fleet: FleetManager;
  const tmp = tempDir();
  const thread = (ts: string) => slack.botMessages("COPS", ts).filter((m) => m.ts !== ts);

  beforeAll(async () => {
    standin = await startStandin();
    slack = await startSlackStandin();
    writeAgents(tmp.dir, {
      ops: [
        "runtime: sdk",
        "permission_mode: acceptEdits",
        "allowed_tools: [Bash]",
        'approvals: { tools: ["Bash(touch:*)"] }',
        "chat:",
        "  slack:",
        "    bot_token_env: SLACK_BOT_TOKEN",
        "    app_token_env: SLACK_APP_TOKEN",
        "    channels: [{ id: COPS, mode: auto }]",
        "    dm: { enabled: true, allowlist: [UTRUSTED] }",
        "",
      ].join("\n"),
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
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    await until(() => fleet.connectorStatuses().some((c) => c.status === "connected"), "Slack connected");
  }, 60_000);

  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await slack?.close();
    await standin?.close();
    tmp.cleanup();
  });

  it("posts the request in the thread; a typed deny with a reason reaches claude; an outsider's typed approve is refused", async () => {
    standin.setResponder(script([bash("touch risky.txt"), textReply("I left the file alone")]));
    const ts = slack.say({ channel: "COPS", user: "UANA", text: "touch risky.txt please" });
    await until(() => thread(ts).some((m) => m.text.includes("waits for approval")), "the request");
    const [asked] = fleet.listApprovals({ state: "pending" });
    const request = thread(ts).find((m) => m.text.includes("waits for approval"))!;
    expect(request.text).toContain(`deny ${asked!.id} [reason]`);

    // Someone the agent does not take direct messages from, typing the id in a DM.
    slack.say({ channel: "DOUTSIDER", user: "UOUTSIDER", text: `approve ${asked!.id}` });
    await until(
      () => slack.botMessages("DOUTSIDER").some((m) => m.text.startsWith("You cannot decide this")),
      "the outsider's refusal",
    );
    expect(fleet.getApproval(asked!.id)?.state).toBe("pending");

    slack.say({ channel: "COPS", user: "UANA", thread_ts: ts, text: `deny ${asked!.id} not on a Friday` });
    await until(
      () => thread(ts).some((m) => m.text.startsWith("I left the file alone")),
      "the turn's answer",
    );
    expect(fleet.getApproval(asked!.id)).toMatchObject({
      state: "denied",
      decidedBy: "slack user UANA",
      decidedVia: "slack",
      reason: "not on a Friday",
    });
    expect(existsSync(join(tmp.dir, "workspace", "risky.txt"))).toBe(false);
    const sent = standin.mainRequests.map((r) => JSON.stringify(r.body)).join("\n");
    expect(sent).toContain("slack user UANA refused this call: not on a Friday");
    // The request's own message now says how it ended.
    expect(slack.botMessages("COPS").find((m) => m.ts === request.ts)?.text).toContain(
      "denied by slack user UANA via slack (not on a Friday)",
    );
  }, 180_000);

  it("an Approve button click runs the call; forged button values are refused and decide nothing", async () => {
    standin.setResponder(script([bash("touch clicked.txt"), textReply("clicked through")]));
    const ts = slack.say({ channel: "COPS", user: "UBEA", text: "touch clicked.txt please" });
    const request = () => thread(ts).find((m) => m.blocks !== undefined);
    await until(() => request() !== undefined, "the request with its buttons");
    const asked = fleet.listApprovals({ state: "pending" })[0]!;
    const click = (value: string) =>
      slack.click({
        channel: "COPS",
        ts: request()!.ts,
        user: "UBEA",
        actionId: "herdctl-approval:approve",
        value,
      });

    click("apr-zzzzzzzz");
    click("../../approvals");
    await until(
      () =>
        thread(ts).some((m) => m.text.includes("not a request waiting in this chat")) &&
        thread(ts).some((m) => m.text.includes("the button is not one herdctl posted")),
      "both refusals",
    );
    expect(fleet.getApproval(asked.id)?.state).toBe("pending");

    click(asked.id);
    await until(() => thread(ts).some((m) => m.text.startsWith("clicked through")), "the turn's answer");
    expect(fleet.getApproval(asked.id)).toMatchObject({ state: "approved", decidedBy: "slack user UBEA" });
    expect(existsSync(join(tmp.dir, "workspace", "clicked.txt"))).toBe(true);
    expect(request()).toMatchObject({ blocks: [] });
    expect(request()!.text).toContain("approved by slack user UBEA via slack");
  }, 180_000);
});
