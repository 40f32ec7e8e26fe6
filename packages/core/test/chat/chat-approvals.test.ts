import { existsSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import type { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { ApprovalRecord } from "../../src/state/index.js";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

const AGENT = (runtime: string) =>
  [
    `runtime: ${runtime}`,
    "permission_mode: acceptEdits",
    "allowed_tools: [Bash]",
    'approvals: { tools: ["Bash(touch:*)"] }',
    "",
  ].join("\n");

async function pendingFor(fleet: FleetManager, jobId: string): Promise<ApprovalRecord> {
  await until(
    () => fleet.listApprovals({ state: "pending" }).some((a) => a.jobId === jobId),
    "an approval request",
  );
  return fleet.listApprovals({ state: "pending" }).find((a) => a.jobId === jobId)!;
}

function refusal(action: () => unknown): { code?: string; message: string } {
  try {
    action();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error("expected a refusal");
}

describe.each(["cli", "sdk"])(
  "a chat turn's risky call asks a person, %s runtime (real claude, Anthropic faked by the stand-in)",
  (runtime) => {
    const bed = fleetTestbed();

    it("pauses the turn, answers a message sent meanwhile, runs the call once approved, and keeps its process", async () => {
      bed.standin.setResponder(
        script([bash("touch approved.txt"), textReply("touched it"), textReply("second answer")]),
      );
      const fleet = await bed.start({ worker: AGENT(runtime) });
      const chat = fleet.createChat("worker");
      const first = fleet.sendChatMessage(chat.id, "touch the file").job;
      const pending = await pendingFor(fleet, first.id);
      expect(fleet.job(first.id)?.status).toBe("waiting_approval");
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(false);

      const busy = refusal(() => fleet.sendChatMessage(chat.id, "are you there?"));
      expect(busy.code).toBe("CHAT_WAITING_APPROVAL");
      expect(busy.message).toContain(`approve ${pending.id}`);

      fleet.decideApproval(pending.id, { decision: "approve", by: "alice", via: "dashboard" });
      const done = await fleet.wait(first.id);
      expect(done).toMatchObject({ status: "completed", summary: "touched it" });
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(true);

      // The turn after it runs in the same claude process: approvals no longer end it.
      const second = await fleet.wait(fleet.sendChatMessage(chat.id, "and now?").job.id);
      expect(second).toMatchObject({ status: "completed", summary: "second answer", pid: done.pid });
      const texts = fleet.chatMessages(chat.id).filter((m) => m.text !== "");
      expect(texts.map((m) => m.text)).toEqual(["touch the file", "touched it", "and now?", "second answer"]);
    }, 120_000);

    it("a refusal from a chat user reaches claude; an id from another chat decides nothing", async () => {
      bed.standin.setResponder(script([bash("touch denied.txt"), textReply("understood")]));
      const fleet = await bed.start({ worker: AGENT(runtime) });
      const chat = fleet.createChat("worker");
      const other = fleet.createChat("worker");
      const job = fleet.sendChatMessage(chat.id, "touch it").job;
      const pending = await pendingFor(fleet, job.id);
      const decider = { platform: "slack" as const, id: "U123", name: "Ana\u0007 Lee" };

      const elsewhere = refusal(() =>
        fleet.decideChatApproval(other.id, pending.id, { decision: "approve" }, decider),
      );
      expect(elsewhere).toMatchObject({ code: "FLEET_APPROVAL_REFUSED" });
      expect(fleet.getApproval(pending.id)?.state).toBe("pending");

      const decided = fleet.decideChatApproval(
        chat.id,
        pending.id,
        { decision: "deny", reason: "not on a Friday" },
        decider,
      );
      expect(decided).toMatchObject({
        state: "denied",
        decidedBy: "slack user Ana Lee (U123)",
        decidedVia: "slack",
      });
      expect((await fleet.wait(job.id)).status).toBe("completed");
      expect(existsSync(join(bed.tmp.dir, "workspace", "denied.txt"))).toBe(false);
      const sent = bed.standin.mainRequests.map((r) => JSON.stringify(r.body)).join("\n");
      expect(sent).toContain("slack user Ana Lee (U123) refused this call: not on a Friday");
      const audit = fleet.audit().filter((e) => e.action.startsWith("approval."));
      // Newest first.
      expect(audit.map((e) => [e.action, e.via, e.who, e.target])).toEqual([
        ["approval.denied", "slack", "slack user Ana Lee (U123)", pending.id],
        ["approval.refused", "slack", "slack user Ana Lee (U123)", pending.id],
      ]);
    }, 120_000);
  },
);

describe("a kept chat process waiting for a decision, cli runtime (real claude, Anthropic faked by the stand-in)", () => {
  const bed = fleetTestbed();

  it("is not ended by the idle reaper, however many idle limits the person takes", async () => {
    bed.standin.setResponder(script([bash("touch late.txt"), textReply("done late")]));
    const logs: string[] = [];
    // web.session_expiry_hours caps the kept process's idle limit: here about 0.36 s.
    const fleet = await bed.start({ worker: AGENT("cli") }, "web: { session_expiry_hours: 0.0001 }\n", {
      log: (line) => logs.push(line),
    });
    const chat = fleet.createChat("worker");
    const job = fleet.sendChatMessage(chat.id, "touch it, eventually").job;
    const pending = await pendingFor(fleet, job.id);
    // The property is about time passing: the answer comes after several idle limits.
    const asked = Date.now();
    await until(() => Date.now() - asked > 2_000, "a slow person");
    const whileWaiting = [...logs];
    fleet.decideApproval(pending.id, { decision: "approve", by: "slow", via: "cli" });
    expect(await fleet.wait(job.id)).toMatchObject({ status: "completed", summary: "done late" });
    expect(existsSync(join(bed.tmp.dir, "workspace", "late.txt"))).toBe(true);
    expect(whileWaiting.filter((line) => line.includes("idle"))).toEqual([]);
    // The limit is real: once the turn has ended, the idle process is ended.
    await until(() => logs.some((line) => line.includes("claude idle for")), "the idle process ended");
  }, 120_000);
});
