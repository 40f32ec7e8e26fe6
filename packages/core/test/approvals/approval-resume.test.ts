import { existsSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { ApprovalBroker } from "../../src/approvals/broker.js";
import { callKey } from "../../src/approvals/summary.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import type { ApprovalRecord, StateManager } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { hostJobFixture } from "../helpers/job-fixture.js";
import { until } from "../helpers/until.js";

const CALL = bash("touch resumed.txt");

/** The job a daemon left interrupted while its call waited, and that call's request. */
function interruptedWithRequest(state: StateManager, agent: string): ApprovalRecord {
  const job = state.jobs.create({
    agent,
    triggerType: "manual",
    prompt: "go",
    runtime: "cli",
    docker: false,
  });
  state.jobs.start(job.id);
  state.jobs.setWaiting(job.id, true);
  const now = new Date();
  const request = state.approvals.create({
    jobId: job.id,
    agent,
    tool: "Bash",
    input: "{}",
    inputKey: callKey(CALL.name, CALL.input),
    rule: "Bash(touch:*)",
    requestedAt: now,
    expiresAt: new Date(now.getTime() + 3_600_000),
    onTimeout: "deny",
  });
  // What recovery does to the jobs of a daemon that died.
  state.jobs.interruptUnfinished("the daemon stopped");
  return request;
}

describe("a job resumed after a restart asks again for the same call (real claude, Anthropic faked by the stand-in)", () => {
  const fx = hostJobFixture();

  async function setup() {
    const { agent } = await writeFleet(
      fx.tmp.dir,
      'runtime: cli\nallowed_tools: [Bash]\napprovals: { tools: ["Bash(touch:*)"] }\n',
    );
    const requested: ApprovalRecord[] = [];
    const broker = new ApprovalBroker(() => fx.state, {
      requested: (r) => requested.push(r),
      decided: () => {},
    });
    const executor = new JobExecutor({
      state: fx.state,
      claudePath,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      approvals: broker,
    });
    return { agent, broker, executor, requested, workspace: join(fx.tmp.dir, "workspace") };
  }

  it("applies a decision made while no daemon ran, at once and without a new request", async () => {
    const { agent, executor, requested } = await setup();
    const old = interruptedWithRequest(fx.state, agent.name);
    fx.state.approvals.decide(old.id, { state: "approved", by: "ops", via: "cli", reason: "fine" });
    fx.standin.setResponder(script([CALL, textReply("resumed")]));
    const job = await executor.execute({
      agent,
      prompt: "continue",
      triggerType: "resume",
      resumedFrom: old.jobId,
    });
    expect(job.status).toBe("completed");
    expect(requested).toEqual([]);
    expect(fx.state.approvals.list()).toHaveLength(1);
    expect(existsSync(join(agent.working_directory, "resumed.txt"))).toBe(true);
  });

  it("re-attaches a still pending request to the resumed job instead of making another", async () => {
    const { agent, broker, executor, requested } = await setup();
    const old = interruptedWithRequest(fx.state, agent.name);
    fx.standin.setResponder(script([CALL, textReply("resumed")]));
    const running = executor.execute({
      agent,
      prompt: "continue",
      triggerType: "resume",
      resumedFrom: old.jobId,
    });
    await until(() => requested.length === 1, "the request asked again");
    expect(requested[0]!.id).toBe(old.id);
    expect(requested[0]!.jobId).not.toBe(old.jobId);
    broker.decide(old.id, { decision: "approve", by: "ops", via: "cli" });
    expect((await running).status).toBe("completed");
    expect(fx.state.approvals.list()).toHaveLength(1);
  });
});
