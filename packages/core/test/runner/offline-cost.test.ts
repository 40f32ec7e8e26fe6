import { join } from "node:path";
import { type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { OFFLINE_NOTICE } from "../../src/runner/offline-cost.js";
import { StateManager } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";

describe("jobs run offline against the stand-in", () => {
  let standin: Standin;
  const tmp = tempDir();
  let state: StateManager;
  beforeAll(async () => {
    standin = await startStandin();
    state = new StateManager(join(tmp.dir, ".herdctl"));
    state.open();
  });
  afterAll(async () => {
    state.close();
    await standin.close();
    tmp.cleanup();
  });

  const run = async (offline: boolean) => {
    standin.setResponder(script([textReply("done")]));
    const { agent } = await writeFleet(tmp.dir, "runtime: cli\npermission_mode: acceptEdits\n");
    const executor = new JobExecutor({ state, claudePath, env: claudeEnv(standin, tmp.dir), offline });
    return executor.execute({ agent, prompt: "go", triggerType: "manual" });
  };

  it("records tokens but no cost, and says on the job that it ran offline", async () => {
    const job = await run(true);
    expect(job.status).toBe("completed");
    expect(job.outputTokens).toBeGreaterThan(0);
    expect(job.offline).toBe(true);
    expect(state.jobs.require(job.id).offline).toBe(true);
    expect(job.costUsd).toBeNull();
    expect(JSON.stringify(job.usage)).not.toContain("costUSD");
    expect(state.readJobOutput(job.id)[0]?.message).toEqual({
      type: "herdctl",
      subtype: "notice",
      text: OFFLINE_NOTICE,
    });
  });

  it("keeps claude's cost for a job against the real API", async () => {
    const job = await run(false);
    expect(job.offline).toBe(false);
    expect(job.costUsd).toBeGreaterThan(0);
    expect(state.readJobOutput(job.id).map((l) => l.message)).not.toContainEqual(
      expect.objectContaining({ text: OFFLINE_NOTICE }),
    );
  });
});
