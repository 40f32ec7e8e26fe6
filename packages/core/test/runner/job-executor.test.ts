import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { errorReply, hang, type Standin, script, startStandin, textReply, writeFile } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { StateManager } from "../../src/state/index.js";
import { claudeEnv, claudePath, TEST_API_KEY } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";
import { until } from "../helpers/until.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe.each(["cli", "sdk"])("job executor with the %s runtime", (runtime) => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let state: StateManager;

  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(() => standin.close());
  beforeEach(() => {
    tmp = tempDir();
    state = new StateManager(join(tmp.dir, ".herdctl"));
    state.open();
  });
  afterEach(() => {
    state.close();
    tmp.cleanup();
  });

  const executor = () => new JobExecutor({ state, claudePath, env: claudeEnv(standin, tmp.dir) });
  const agentYaml = `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: acceptEdits\n`;

  it("runs a job to completion and records output, summary, usage and the session", async () => {
    standin.setResponder(script([writeFile("out.txt", "hi"), textReply("All done here")]));
    const { agent } = await writeFleet(tmp.dir, agentYaml);
    const job = await executor().execute({ agent, prompt: "do it", triggerType: "manual" });
    expect(job).toMatchObject({
      status: "completed",
      exitReason: "success",
      summary: "All done here",
      numTurns: 2,
      runtime,
      docker: false,
    });
    expect(job.outputTokens).toBeGreaterThan(0);
    expect(job.finishedAt).not.toBeNull();
    const lines = state.readJobOutput(job.id).map((l) => l.message as { type: string });
    expect(lines.map((m) => m.type)).toContain("assistant");
    expect(lines.at(-1)?.type).toBe("result");
    expect(state.sessions.get(agent.name)?.sessionId).toBe(job.sessionId);
    expect(readFileSync(join(tmp.dir, "workspace", "out.txt"), "utf8")).toBe("hi");
  });

  it("continues the last good session on the next manual trigger, and not with --fresh", async () => {
    standin.setResponder(script([textReply("one"), textReply("two"), textReply("three")]));
    const { agent } = await writeFleet(tmp.dir, agentYaml);
    const first = await executor().execute({ agent, prompt: "first", triggerType: "manual" });
    const second = await executor().execute({
      agent,
      prompt: "second",
      triggerType: "manual",
      session: { mode: "continue" },
    });
    expect(second.sessionId).toBe(first.sessionId);
    expect(JSON.stringify(standin.mainRequests.at(-1)?.messages)).toContain("first");
    const third = await executor().execute({
      agent,
      prompt: "third",
      triggerType: "manual",
      session: { mode: "fresh" },
    });
    expect(third.sessionId).not.toBe(first.sessionId);
  });

  it("fails a job on an API error with the API's message and keeps the old session pointer", async () => {
    const { agent } = await writeFleet(tmp.dir, agentYaml);
    standin.setResponder(script([textReply("fine")]));
    const good = await executor().execute({ agent, prompt: "ok", triggerType: "manual" });
    standin.setResponder(() => errorReply(500, "upstream exploded"));
    const bad = await executor().execute({
      agent,
      prompt: "boom",
      triggerType: "manual",
      session: { mode: "fresh" },
    });
    expect(bad).toMatchObject({ status: "failed", exitReason: "api_error" });
    expect(bad.error).toContain("upstream exploded");
    expect(state.sessions.get(agent.name)?.sessionId).toBe(good.sessionId);
  });

  it("records cancelled when the job is cancelled, and timed_out at the agent's timeout", async () => {
    standin.setResponder(() => hang());
    const { agent } = await writeFleet(tmp.dir, `${agentYaml}timeout: 2s\n`);
    const timedOut = await executor().execute({ agent, prompt: "hang", triggerType: "manual" });
    expect(timedOut).toMatchObject({ status: "timed_out", exitReason: "timeout" });
    expect(timedOut.error).toBe(
      `claude (${runtime} runtime) timed out after 2 s: the agent's timeout ended it`,
    );

    // Cancelled once its request is in flight, and without the 2 s timeout, which a busy machine
    // could otherwise reach first.
    const controller = new AbortController();
    const seen = standin.mainRequests.length;
    const cancelled = executor().execute(
      { agent: { ...agent, timeout: 600_000 }, prompt: "hang", triggerType: "manual" },
      { signal: controller.signal },
    );
    await until(() => standin.mainRequests.length > seen, "the cancelled job's request");
    controller.abort();
    expect(await cancelled).toMatchObject({ status: "cancelled", exitReason: "cancelled" });
  });

  it("retries once with a new session when claude cannot find the session to resume", async () => {
    standin.setResponder(script([textReply("fresh start")]));
    const { agent } = await writeFleet(tmp.dir, agentYaml);
    const missing = "99999999-9999-4999-8999-999999999999";
    const job = await executor().execute({
      agent,
      prompt: "continue please",
      triggerType: "manual",
      session: { mode: "resume", sessionId: missing },
    });
    expect(job).toMatchObject({ status: "completed", summary: "fresh start" });
    expect(job.sessionId).not.toBe(missing);
    const notices = state
      .readJobOutput(job.id)
      .map((l) => l.message as { type: string; text?: string })
      .filter((m) => m.type === "herdctl")
      .map((m) => m.text);
    expect(notices).toEqual([
      `resuming session ${missing}`,
      `session ${missing} was not found by claude; retrying once with a new session`,
    ]);
  });

  it("leaves the API key in no file under the state directory", async () => {
    standin.setResponder(script([textReply(`echoing ${TEST_API_KEY}`)]));
    const { agent } = await writeFleet(tmp.dir, agentYaml);
    const job = await executor().execute({
      agent,
      prompt: `my key is ${TEST_API_KEY}`,
      triggerType: "manual",
    });
    expect(job.status).toBe("completed");
    state.close();
    const files = filesUnder(join(tmp.dir, ".herdctl"));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(readFileSync(file).includes(TEST_API_KEY)).toBe(false);
    state.open();
    expect(state.jobs.require(job.id).prompt).toBe("my key is [redacted]");
  });
});
