import { chownSync, existsSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../docker/runtime-image-fixture.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { until } from "../helpers/until.js";

beforeAll(() => ensureRuntimeImage(), IMAGE_TIMEOUT_MS);

// The CLI runtime only: the host test covers both runtimes; here the question crosses docker exec.
describe("a Docker agent's chat turn asks for approval, cli runtime (real claude and engine, Anthropic faked by the stand-in)", () => {
  const fleetName = `chat-apr-docker-${process.pid}`;
  const fx = clockFleetFixture("2030-01-01T00:00:00.000Z");
  afterAll(() => removeFleetContainers(fleetName));

  it("the kept claude in the container waits, runs the call once approved, and serves the next turn", async () => {
    fx.standin.setResponder(
      script([
        bash("touch /workspace/approved.txt"),
        textReply("touched in the box"),
        textReply("still here"),
      ]),
    );
    const { workspace } = await writeFleet(
      fx.tmp.dir,
      'runtime: cli\npermission_mode: acceptEdits\nallowed_tools: [Bash]\napprovals: { tools: ["Bash(touch:*)"] }\ndocker:\n  enabled: true\n  memory: 1g\n',
      {
        fleetYaml: `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: host\nagents:\n  - path: ./agents/worker.yaml\n`,
      },
    );
    if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
    const f = new FleetManager({
      config: fx.tmp.dir,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      watchConfig: false,
      clock: fx.clock,
    });
    fx.fleet = f;
    await f.start();
    const chat = f.createChat("worker");
    const first = f.sendChatMessage(chat.id, "touch it in the box").job;
    await until(() => f.listApprovals({ state: "pending" }).length === 1, "the request", 240_000);
    const [pending] = f.listApprovals({ state: "pending" });
    expect(f.job(first.id)?.status).toBe("waiting_approval");
    expect(existsSync(join(workspace, "approved.txt"))).toBe(false);
    f.decideApproval(pending!.id, { decision: "approve", by: "ops", via: "cli" });
    const one = await f.wait(first.id);
    expect(one).toMatchObject({ status: "completed", docker: true, summary: "touched in the box" });
    expect(existsSync(join(workspace, "approved.txt"))).toBe(true);
    const two = await f.wait(f.sendChatMessage(chat.id, "and now?").job.id);
    expect(two).toMatchObject({ status: "completed", summary: "still here", containerId: one.containerId });
  }, 400_000);
});
