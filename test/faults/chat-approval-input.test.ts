import { describe, expect, it } from "vitest";
import { buttonDecision, parseApprovalCommand } from "../../packages/core/src/chat/approval-command.js";

import { fleetTestbed } from "../../packages/core/test/helpers/fleet-testbed.js";

/**
 * Hostile decisions from a chat: a button's custom id comes back from the platform as any client
 * sent it, a typed id and a display name are whatever a chat user wrote. None decides anything it
 * should not, and nothing raw reaches an error, the audit trail or a record. (No model call.)
 */
const ESC = "\u001b";
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe("hostile approval decisions from a chat", () => {
  const bed = fleetTestbed();

  it("reads only herdctl's own button shape with a well-formed id", () => {
    expect(buttonDecision("herdctl-approval:approve:apr-abcd1234")).toEqual({
      decision: "approve",
      id: "apr-abcd1234",
    });
    for (const forged of [
      "herdctl-approval:approve:apr-abcd1234:extra",
      "herdctl-approval:approve:../../jobs/x",
      "herdctl-approval:APPROVE:apr-abcd1234",
      "herdctl-approval:allow:apr-abcd1234",
      `herdctl-approval:deny:apr-${ESC}[2Jxx`,
      "herdctl-approval:deny:APR-ABCD1234",
      "other-bot:approve:apr-abcd1234",
      `herdctl-approval:approve:apr-${"a".repeat(10_000)}`,
      "",
    ])
      expect(buttonDecision(forged), forged.slice(0, 60)).toBeUndefined();
  });

  it("reads typed decisions and keeps sentences as messages", () => {
    expect(parseApprovalCommand("Approve apr-abcd1234 ship it\nnow")).toEqual({
      decision: "approve",
      id: "apr-abcd1234",
      reason: "ship it\nnow",
    });
    expect(parseApprovalCommand("approve of this plan")).toBeUndefined();
    expect(parseApprovalCommand("deny everything")).toBeUndefined();
    // A malformed id is still a command: its sender is told, the agent never sees it.
    expect(parseApprovalCommand(`deny apr-${ESC}[2J`)).toEqual({ decision: "deny", id: `apr-${ESC}[2J` });
  });

  it("refuses ids that are not the chat's, cleans the decider's name, and audits each attempt", async () => {
    const fleet = await bed.start({ worker: "runtime: cli\n" });
    const chat = fleet.createChat("worker");
    const decider = {
      platform: "discord" as const,
      id: `1234${ESC}[2J${"9".repeat(5000)}`,
      name: `${ESC}[31mroot\u2028admin\u0085${"n".repeat(500)}`,
    };
    const hostile = [`apr-${ESC}[2J`, "../../approvals/apr-abcd1234", "apr-abcd1234", "x".repeat(100_000)];
    for (const id of hostile) {
      let refused: Error | undefined;
      try {
        fleet.decideChatApproval(chat.id, id, { decision: "approve", reason: `${ESC}[2J` }, decider);
      } catch (error) {
        refused = error as Error;
      }
      expect(refused).toMatchObject({ code: "FLEET_APPROVAL_REFUSED" });
      expect(refused!.message).not.toMatch(CONTROL);
      expect(refused!.message.length).toBeLessThan(300);
    }
    const audit = fleet.audit().filter((e) => e.action === "approval.refused");
    expect(audit).toHaveLength(hostile.length);
    for (const entry of audit) {
      expect(entry.who).not.toMatch(CONTROL);
      expect(entry.who.length).toBeLessThanOrEqual(200);
      expect(entry.who.startsWith("discord user [31mroot admin")).toBe(true);
      expect(entry.target === "apr-abcd1234" || entry.target === "(invalid id)").toBe(true);
      expect(JSON.stringify(entry)).not.toContain(ESC);
    }
    expect(fleet.listApprovals()).toEqual([]);
  });
});
