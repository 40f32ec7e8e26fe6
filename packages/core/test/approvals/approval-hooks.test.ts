import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

interface Payload {
  event: string;
  job: { id: string; status: string };
  result: { success: boolean };
  approval: { id: string; tool: string; state: string; decided_by: string | null; reason: string | null };
}

describe("approval hooks (real claude, Anthropic faked by the stand-in)", () => {
  const bed = fleetTestbed();

  it("approval_requested and approval_decided hooks get the job and the request; job-end hooks do not run for them", async () => {
    bed.standin.setResponder(script([bash("touch approved.txt"), textReply("done")]));
    const log = join(bed.tmp.dir, "hooks.log");
    // Fleet-file hooks run on the host; each appends its payload (stdin) as one line.
    const hook = (list: string) =>
      `      ${list}: [{ type: shell, command: "cat >> ${log}; echo >> ${log}" }]\n`;
    const fleet = await bed.start(
      { worker: 'runtime: cli\nallowed_tools: [Bash]\napprovals: { tools: ["Bash(touch:*)"] }\n' },
      `defaults:\n  hooks:\n${hook("approval_requested").replace("      ", "    ")}${hook("approval_decided").replace("      ", "    ")}`,
    );
    const read = (): Payload[] =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Payload);
    const job = fleet.trigger("worker", { prompt: "go" });
    await until(() => fleet.listApprovals({ state: "pending" }).length === 1, "a pending approval");
    const [request] = fleet.listApprovals({ state: "pending" });
    await until(() => {
      try {
        return read().length === 1;
      } catch {
        return false;
      }
    }, "the approval_requested hook");
    fleet.decideApproval(request!.id, { decision: "approve", by: "alice", via: "cli", reason: "ok" });
    expect((await fleet.wait(job.id)).status).toBe("completed");
    await until(() => read().length === 2, "the approval_decided hook");
    const [asked, decided] = read();
    expect(asked).toMatchObject({
      event: "approval_requested",
      job: { id: job.id, status: "waiting_approval" },
      result: { success: false },
      approval: { id: request!.id, tool: "Bash", state: "pending", decided_by: null },
    });
    expect(decided).toMatchObject({
      event: "approval_decided",
      job: { id: job.id },
      approval: { id: request!.id, state: "approved", decided_by: "alice", reason: "ok" },
    });
  });
});
