import { chownSync, existsSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { ApprovalBroker } from "../../src/approvals/broker.js";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import type { ApprovalRecord } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { dockerJobFixture } from "../helpers/job-fixture.js";
import { until } from "../helpers/until.js";

describe.each(["cli", "sdk"])(
  "approvals of a Docker agent with the %s runtime (real engine and claude; Anthropic faked by the stand-in)",
  (runtime) => {
    const fleetName = `aprtest-${runtime}-${process.pid}`;
    const fx = dockerJobFixture(fleetName, { clearRequests: true });

    it("claude in the container asks through docker exec; the call runs once approved", async () => {
      const { agent, workspace } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\nallowed_tools: [Bash]\napprovals: { tools: ["Bash(touch:*)"] }\ndocker:\n  enabled: true\n  memory: 1g\n`,
        {
          fleetYaml: `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: host\nagents:\n  - path: ./agents/worker.yaml\n`,
        },
      );
      if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
      const requested: ApprovalRecord[] = [];
      const broker = new ApprovalBroker(() => fx.state, {
        requested: (r) => requested.push(r),
        decided: () => {},
      });
      const executor = new JobExecutor({
        state: fx.state,
        claudePath,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        containers: { manager: new ContainerManager(), fleet: fleetName },
        approvals: broker,
      });
      fx.standin.setResponder(script([bash("touch /workspace/approved.txt"), textReply("ok")]));
      const running = executor.execute({ agent, prompt: "docker approval", triggerType: "manual" });
      await until(() => requested.length === 1, "an approval request", 240_000);
      expect(fx.state.jobs.get(requested[0]!.jobId)?.status).toBe("waiting_approval");
      expect(existsSync(join(workspace, "approved.txt"))).toBe(false);
      broker.decide(requested[0]!.id, { decision: "approve", by: "ops", via: "cli" });
      const job = await running;
      expect(job).toMatchObject({ status: "completed", docker: true });
      expect(existsSync(join(workspace, "approved.txt"))).toBe(true);
    }, 400_000);
  },
);
