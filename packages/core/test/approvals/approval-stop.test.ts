import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bash, type Responder, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { listTranscripts, realCwd } from "../../src/sessions/transcripts.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

const CALL = bash("touch approved.txt");

/**
 * The model asks for the call until a request ends with the call's result. Not a script by turn
 * count: claude, resuming a session whose last call has no result, may add a made-up result and
 * assistant message of its own before the new prompt.
 */
const untilAnswered: Responder = (req) => {
  const messages = (req.body?.["messages"] ?? []) as Array<{ role: string; content: unknown }>;
  const last = messages.at(-1);
  const answered = last?.role === "user" && JSON.stringify(last.content).includes('"tool_result"');
  return answered ? textReply("resumed") : CALL;
};

describe.each(["cli", "sdk"])(
  "a graceful stop while a job waits for approval, %s runtime (real claude, Anthropic faked by the stand-in)",
  (runtime) => {
    const bed = fleetTestbed();

    it("interrupts the job at once with its request pending; the next start resumes it and the approval runs the call", async () => {
      bed.standin.setResponder(untilAnswered);
      // No on_interrupt: a job stopped while it waits is resumed whatever that says.
      const first = await bed.start({
        worker: `runtime: ${runtime}\npermission_mode: acceptEdits\nallowed_tools: [Bash]\napprovals: { tools: ["Bash(touch:*)"] }\n`,
      });
      const job = first.trigger("worker", { prompt: "go" });
      await until(() => first.listApprovals({ state: "pending" }).length === 1, "an approval request");
      const request = first.listApprovals({ state: "pending" })[0]!;

      // A drain would sit out the whole timeout and then cancel the job, denying its request.
      await first.stop({ timeoutMs: 600_000 });
      bed.fleet = undefined;
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(false);
      // claude writes its transcript behind the conversation; killed before the waiting call was
      // written, a job stopped early enough could not be resumed at all (it got a new session).
      const transcripts = listTranscripts(
        join(bed.tmp.dir, "claude-config"),
        realCwd(join(bed.tmp.dir, "workspace")),
      );
      expect(transcripts).toHaveLength(1);
      expect(readFileSync(transcripts[0]!.path, "utf8")).toContain('"id":"toolu_');

      const second = new FleetManager({
        config: bed.tmp.dir,
        env: claudeEnv(bed.standin, bed.tmp.dir),
        watchConfig: false,
      });
      bed.fleet = second;
      await second.start();
      expect(second.job(job.id)).toMatchObject({ status: "interrupted", exitReason: "interrupted" });
      expect(second.job(job.id)?.error).toContain("waited for an approval");
      await until(
        () => second.getApproval(request.id)?.jobId !== job.id,
        "the request re-attached to the resumed job",
      );
      const again = second.getApproval(request.id)!;
      expect(again.state).toBe("pending");
      expect(second.listApprovals({ state: "pending" })).toHaveLength(1);
      const resumed = second.job(again.jobId)!;
      expect(resumed).toMatchObject({ resumedFrom: job.id, sessionId: second.job(job.id)?.sessionId });

      second.decideApproval(request.id, { decision: "approve", by: "ops", via: "cli" });
      expect((await second.wait(resumed.id)).status).toBe("completed");
      expect(existsSync(join(bed.tmp.dir, "workspace", "approved.txt"))).toBe(true);
      expect(second.getApproval(request.id)).toMatchObject({ state: "approved", decidedBy: "ops" });
    });
  },
);
