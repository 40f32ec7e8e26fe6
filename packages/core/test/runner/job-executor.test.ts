import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { errorReply, hang, script, textReply, writeFile } from "@herdctl/standin";
import { expect, test } from "vitest";
import { describeRuntimes } from "../../../../test/setup/runtimes.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { claudeEnv, claudePath, TEST_API_KEY } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { hostJobFixture } from "../helpers/job-fixture.js";
import { until } from "../helpers/until.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describeRuntimes("job executor with the %s runtime", (runtime, it) => {
  const fx = hostJobFixture();

  const executor = () =>
    new JobExecutor({ state: fx.state, claudePath, env: claudeEnv(fx.standin, fx.tmp.dir) });
  const agentYaml = `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: acceptEdits\n`;

  // One good run and one failing run carry the executor's bookkeeping of both: what a completed job
  // records, what a failed one does to the session pointer, and the API key (in the prompt and in
  // the model's reply) in no file under the state directory after either.
  it("runs a job to completion and records output, summary, usage and the session; an API error fails the next with the API's message and keeps the old session pointer; the API key is in no file under the state directory", async () => {
    fx.standin.setResponder(
      script([writeFile("out.txt", "hi"), textReply(`All done here, echoing ${TEST_API_KEY}`)]),
    );
    const { agent } = await writeFleet(fx.tmp.dir, agentYaml);
    const job = await executor().execute({
      agent,
      prompt: `do it, my key is ${TEST_API_KEY}`,
      triggerType: "manual",
    });
    expect(job).toMatchObject({
      status: "completed",
      exitReason: "success",
      summary: "All done here, echoing [redacted]",
      numTurns: 2,
      runtime,
      docker: false,
    });
    expect(job.outputTokens).toBeGreaterThan(0);
    expect(job.finishedAt).not.toBeNull();
    const lines = fx.state.readJobOutput(job.id).map((l) => l.message as { type: string });
    expect(lines.map((m) => m.type)).toContain("assistant");
    expect(lines.at(-1)?.type).toBe("result");
    expect(fx.state.sessions.get(agent.name)?.sessionId).toBe(job.sessionId);
    expect(readFileSync(join(fx.tmp.dir, "workspace", "out.txt"), "utf8")).toBe("hi");

    fx.standin.setResponder(() => errorReply(500, "upstream exploded"));
    const bad = await executor().execute({
      agent,
      prompt: "boom",
      triggerType: "manual",
      session: { mode: "fresh" },
    });
    expect(bad).toMatchObject({ status: "failed", exitReason: "api_error" });
    expect(bad.error).toContain("upstream exploded");
    expect(fx.state.sessions.get(agent.name)?.sessionId).toBe(job.sessionId);

    fx.state.close();
    const files = filesUnder(join(fx.tmp.dir, ".herdctl"));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(readFileSync(file).includes(TEST_API_KEY)).toBe(false);
    fx.state.open();
    expect(fx.state.jobs.require(job.id).prompt).toBe("do it, my key is [redacted]");
  });

  it("continues the last good session on the next manual trigger, and not with --fresh", async () => {
    fx.standin.setResponder(script([textReply("one"), textReply("two"), textReply("three")]));
    const { agent } = await writeFleet(fx.tmp.dir, agentYaml);
    const first = await executor().execute({ agent, prompt: "first", triggerType: "manual" });
    const second = await executor().execute({
      agent,
      prompt: "second",
      triggerType: "manual",
      session: { mode: "continue" },
    });
    expect(second.sessionId).toBe(first.sessionId);
    expect(JSON.stringify(fx.standin.mainRequests.at(-1)?.messages)).toContain("first");
    const third = await executor().execute({
      agent,
      prompt: "third",
      triggerType: "manual",
      session: { mode: "fresh" },
    });
    expect(third.sessionId).not.toBe(first.sessionId);
  });

  it("records cancelled when the job is cancelled, and timed_out at the agent's timeout", async () => {
    fx.standin.setResponder(() => hang());
    const { agent } = await writeFleet(fx.tmp.dir, `${agentYaml}timeout: 2s\n`);
    const timedOut = await executor().execute({ agent, prompt: "hang", triggerType: "manual" });
    expect(timedOut).toMatchObject({ status: "timed_out", exitReason: "timeout" });
    expect(timedOut.error).toBe(
      `claude (${runtime} runtime) timed out after 2 s: the agent's timeout ended it`,
    );

    // Cancelled once its request is in flight, and without the 2 s timeout, which a busy machine
    // could otherwise reach first.
    const controller = new AbortController();
    const seen = fx.standin.mainRequests.length;
    const cancelled = executor().execute(
      { agent: { ...agent, timeout: 600_000 }, prompt: "hang", triggerType: "manual" },
      { signal: controller.signal },
    );
    await until(() => fx.standin.mainRequests.length > seen, "the cancelled job's request");
    controller.abort();
    expect(await cancelled).toMatchObject({ status: "cancelled", exitReason: "cancelled" });
  });

  // On both runtimes: whether a missing session shows as a turnless error result (and not a thrown
  // error) is up to how each runtime reports claude's exit.
  test("retries once with a new session when claude cannot find the session to resume", async () => {
    fx.standin.setResponder(script([textReply("fresh start")]));
    const { agent } = await writeFleet(fx.tmp.dir, agentYaml);
    const missing = "99999999-9999-4999-8999-999999999999";
    const job = await executor().execute({
      agent,
      prompt: "continue please",
      triggerType: "manual",
      session: { mode: "resume", sessionId: missing },
    });
    expect(job).toMatchObject({ status: "completed", summary: "fresh start" });
    expect(job.sessionId).not.toBe(missing);
    const notices = fx.state
      .readJobOutput(job.id)
      .map((l) => l.message as { type: string; text?: string })
      .filter((m) => m.type === "herdctl")
      .map((m) => m.text);
    expect(notices).toEqual([
      `resuming session ${missing}`,
      `session ${missing} was not found by claude; retrying once with a new session`,
    ]);
  });
});
