import { existsSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

/** How long nobody answers: longer than the agent's inactivity timeout, and than a minute. */
const WAIT_MS = 70_000;

describe.each(["cli", "sdk"])(
  "a %s job waits over a minute for a person (real claude, Anthropic faked by the stand-in)",
  (runtime) => {
    const bed = fleetTestbed();

    it("neither claude nor the inactivity timeout cuts the wait; the call runs once approved", async () => {
      // The model's own turn is slow too: the reply after the approval takes 5 s to start.
      bed.standin.setResponder(script([bash("touch late.txt"), textReply("done", { delayMs: 5000 })]));
      const fleet = await bed.start({
        slow: [
          `runtime: ${runtime}`,
          "allowed_tools: [Bash]",
          "inactivity_timeout: 20s",
          'approvals: { tools: ["Bash(touch:*)"] }',
          "",
        ].join("\n"),
      });
      const job = fleet.trigger("slow", { prompt: "go" });
      await until(() => fleet.listApprovals({ state: "pending" }).length === 1, "a pending approval");
      const [request] = fleet.listApprovals({ state: "pending" });
      const askedAt = Date.now();
      // Polls until the wait has lasted WAIT_MS, or the job stopped waiting (which fails below).
      let status = fleet.job(job.id)?.status;
      await until(
        () => {
          status = fleet.job(job.id)?.status;
          return status !== "waiting_approval" || Date.now() - askedAt >= WAIT_MS;
        },
        "the long wait",
        WAIT_MS + 30_000,
      );
      expect(status).toBe("waiting_approval");
      fleet.decideApproval(request!.id, { decision: "approve", by: "night shift", via: "cli" });
      const done = await fleet.wait(job.id);
      expect(done.status).toBe("completed");
      expect(existsSync(join(bed.tmp.dir, "workspace", "late.txt"))).toBe(true);
    }, 300_000);
  },
);
