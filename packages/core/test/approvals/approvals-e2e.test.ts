import { existsSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { expect, test } from "vitest";
import { describeRuntimes } from "../../../../test/setup/runtimes.js";
import type { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { ApprovalRecord } from "../../src/state/index.js";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

const SECRET = "apr-token-8Hj3Kl0Qw7Zx";

function agentYaml(runtime: string, approvals: string): string {
  return [
    `runtime: ${runtime}`,
    "permission_mode: acceptEdits",
    "allowed_tools: [Bash]",
    `env: { DEPLOY_TOKEN: ${SECRET} }`,
    `approvals: ${approvals}`,
    "",
  ].join("\n");
}

function notices(fleet: FleetManager, jobId: string): string[] {
  return fleet
    .jobOutput(jobId)
    .filter((m) => m.type === "herdctl")
    .map((m) => (m as { text: string }).text);
}

async function pendingFor(fleet: FleetManager, jobId: string): Promise<ApprovalRecord> {
  await until(
    () => fleet.listApprovals({ state: "pending" }).some((a) => a.jobId === jobId),
    "an approval request",
  );
  return fleet.listApprovals({ state: "pending" }).find((a) => a.jobId === jobId)!;
}

// Approve and deny are each runtime's own wiring (canUseTool, the stdio control protocol): both
// runtimes. A cancel or a timeout is the broker's, above the runtime: one runtime each, in turn.
describeRuntimes(
  "approvals with the %s runtime and real claude (Anthropic faked by the stand-in)",
  (runtime, it) => {
    const bed = fleetTestbed();

    // One conversation per runtime: an approved call, then a denied one in the same job.
    test("pauses the matching call, marks the job waiting_approval, and runs it once a person approves; a denied call does not run and claude is told who refused it and why", async () => {
      bed.standin.setResponder(
        script([
          bash("echo free > free.txt"),
          bash(`touch approved.txt ${SECRET}`),
          bash("touch denied.txt"),
          textReply("pushed"),
        ]),
      );
      const fleet = await bed.start({ worker: agentYaml(runtime, '{ tools: ["Bash(touch:*)"] }') });
      const requested: ApprovalRecord[] = [];
      fleet.events.on("approval:requested", (r) => requested.push(r));
      const job = fleet.trigger("worker", { prompt: "go" });
      const pending = await pendingFor(fleet, job.id);
      expect(fleet.job(job.id)?.status).toBe("waiting_approval");
      expect(fleet.jobs({ status: "waiting_approval" }).jobs.map((j) => j.id)).toEqual([job.id]);
      // The call not named by a rule ran without asking; the one named waits.
      expect(existsSync(join(bed.tmp.dir, "workspace", "free.txt"))).toBe(true);
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(false);
      expect(pending).toMatchObject({
        agent: "worker",
        tool: "Bash",
        rule: "Bash(touch:*)",
        onTimeout: "deny",
        state: "pending",
      });
      expect(pending.input).toContain("touch approved.txt");
      expect(pending.input).not.toContain(SECRET);
      expect(requested.map((r) => r.id)).toEqual([pending.id]);
      expect(Date.parse(pending.expiresAt) - Date.parse(pending.requestedAt)).toBe(3_600_000);

      const decided = fleet.decideApproval(pending.id, {
        decision: "approve",
        by: "alice",
        via: "cli",
        reason: "release day",
      });
      expect(decided).toMatchObject({
        state: "approved",
        decidedBy: "alice",
        decidedVia: "cli",
        reason: "release day",
      });
      const refused = await pendingFor(fleet, job.id);
      expect(refused.input).toContain("touch denied.txt");
      fleet.decideApproval(refused.id, { decision: "deny", by: "bob", via: "cli", reason: "not today" });
      const done = await fleet.wait(job.id);
      expect(done.status).toBe("completed");
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(true);
      expect(existsSync(join(bed.tmp.dir, "workspace", "denied.txt"))).toBe(false);
      const toolResult = bed.standin.mainRequests.map((r) => JSON.stringify(r.body)).join("\n");
      expect(toolResult).toContain("bob refused this call: not today");
      expect(fleet.getApproval(refused.id)).toMatchObject({
        state: "denied",
        decidedBy: "bob",
        reason: "not today",
      });
      expect(notices(fleet, job.id)).toContain(`Bash ${pending.id} approved by alice via cli (release day)`);
      const audit = fleet.audit().filter((e) => e.action === "approval.approved");
      expect(audit.map((e) => [e.target, e.via, e.who])).toEqual([[pending.id, "cli", "alice"]]);
      expect(() => fleet.decideApproval(pending.id, { decision: "deny", by: "bob", via: "cli" })).toThrow(
        `Approval ${pending.id} was already decided: Bash ${pending.id} approved by alice via cli (release day).`,
      );
    });

    it("a job cancelled while it waits ends cancelled and its request is denied by herdctl", async () => {
      bed.standin.setResponder(script([bash("touch approved.txt"), textReply("never")]));
      const fleet = await bed.start({ worker: agentYaml(runtime, '{ tools: ["Bash(touch:*)"] }') });
      const job = fleet.trigger("worker", { prompt: "go" });
      const pending = await pendingFor(fleet, job.id);
      expect((await fleet.cancel(job.id)).status).toBe("cancelled");
      expect(fleet.getApproval(pending.id)).toMatchObject({
        state: "denied",
        decidedBy: "herdctl",
        reason: "the job ended (cancelled) first",
      });
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(false);
    });

    it("a request nobody answers times out into on_timeout and the job goes on", async () => {
      bed.standin.setResponder(script([bash("touch approved.txt"), textReply("timed out")]));
      const fleet = await bed.start({
        worker: agentYaml(runtime, '{ tools: ["Bash(touch:*)"], timeout: 2s, on_timeout: allow }'),
      });
      const job = fleet.trigger("worker", { prompt: "go" });
      const pending = await pendingFor(fleet, job.id);
      const done = await fleet.wait(job.id);
      expect(done.status).toBe("completed");
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(true);
      expect(fleet.getApproval(pending.id)).toMatchObject({
        state: "timed_out",
        decidedBy: "herdctl",
        decidedVia: "timeout",
      });
      expect(
        fleet
          .audit()
          .filter((e) => e.action === "approval.timed_out")
          .map((e) => e.target),
      ).toEqual([pending.id]);
    });
  },
);
