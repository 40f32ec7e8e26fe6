import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { beforeEach, describe, expect, it, test } from "vitest";
import { describeRuntimes } from "../../../../test/setup/runtimes.js";
import type { ResolvedAgent } from "../../src/config/index.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { adoptionCandidates, adoptSession } from "../../src/sessions/adopt.js";
import { planFork } from "../../src/sessions/fork.js";
import { transcriptPlace } from "../../src/sessions/place.js";
import { findTranscript, projectSlug } from "../../src/sessions/transcripts.js";
import { claudeByHand } from "../helpers/claude-by-hand.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";
import { hostJobFixture } from "../helpers/job-fixture.js";

const transcriptText = (standin: Standin) => JSON.stringify(standin.mainRequests.at(-1)?.messages);

describe("transcript folders", () => {
  it("are named the way the real claude names them, odd characters and all", async () => {
    const standin = await startStandin();
    const tmp = tempDir();
    try {
      standin.setResponder(script([textReply("ok")]));
      const cwd = join(tmp.dir, "My Dir.with_odd-chars+ü", "x");
      mkdirSync(cwd, { recursive: true });
      const env = claudeEnv(standin, tmp.dir);
      const id = await claudeByHand(cwd, env, "hello");
      expect(projectSlug(cwd)).toMatch(/-My-Dir-with-odd-chars---x$/);
      expect(findTranscript(env.CLAUDE_CONFIG_DIR!, cwd, id)).toBe(
        join(env.CLAUDE_CONFIG_DIR!, "projects", projectSlug(cwd), `${id}.jsonl`),
      );
    } finally {
      await standin.close();
      tmp.cleanup();
    }
  });
});

// `test` on both runtimes: fork, adopt and a missing conversation go through each runtime's resume.
// Refusals come before any runtime runs: `it`, one runtime per test.
describeRuntimes("fork and adopt with the %s runtime", (runtime, it) => {
  let env: Record<string, string>;
  const fx = hostJobFixture();
  beforeEach(() => {
    env = claudeEnv(fx.standin, fx.tmp.dir);
  });

  const executor = () => new JobExecutor({ state: fx.state, claudePath, env });
  const agentYaml = `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: acceptEdits\n`;
  const place = (agent: ResolvedAgent) => transcriptPlace(agent, { stateDir: fx.state.stateDir, env });
  /** A completed job with a session, as the executor records one, for checks that stop before claude. */
  const finishedJob = (agentName: string) => {
    const job = fx.state.jobs.create({ agent: agentName, triggerType: "manual", prompt: "hi", runtime });
    fx.state.jobs.start(job.id, { sessionId: crypto.randomUUID() });
    return fx.state.jobs.finish(job.id, { status: "completed", exitReason: "success" });
  };

  test("forks a finished job: the new job sees the old conversation, the original transcript is untouched", async () => {
    fx.standin.setResponder(script([textReply("noted"), textReply("forked answer")]));
    const { agent } = await writeFleet(fx.tmp.dir, agentYaml);
    const first = await executor().execute({
      agent,
      prompt: "remember the word pelican",
      triggerType: "manual",
    });
    expect(first.status).toBe("completed");
    const original = findTranscript(place(agent).configDir, place(agent).cwd, first.sessionId!)!;
    const before = readFileSync(original);

    const plan = planFork(fx.state, agent, first.id, place(agent));
    const fork = await executor().execute({
      agent,
      prompt: "which word?",
      triggerType: "manual",
      session: plan.session,
      forkedFrom: plan.forkedFrom,
    });

    expect(fork).toMatchObject({ status: "completed", forkedFrom: first.id });
    expect(fork.sessionId).not.toBe(first.sessionId);
    expect(transcriptText(fx.standin)).toContain("remember the word pelican");
    expect(transcriptText(fx.standin)).toContain("which word?");
    expect(readFileSync(original).equals(before)).toBe(true);
    expect(fx.state.jobs.require(first.id)).toMatchObject({ sessionId: first.sessionId, forkedFrom: null });
    // A successful fork is what the agent continues next, as `claude --continue` would.
    expect(fx.state.sessions.get(agent.name)?.sessionId).toBe(fork.sessionId);
  });

  // The refusals come before any runtime runs, so the finished job they refuse is a record, not a
  // conversation: its transcript exists nowhere, which only the last refusal (a gone transcript)
  // looks at, and the fork test above covers a fork of a real one.
  it("refuses to fork a job of another agent, a running job, a job with no session, or a gone transcript", async () => {
    const { agent } = await writeFleet(fx.tmp.dir, agentYaml);
    const done = finishedJob(agent.name);
    const other = { ...agent, name: "other" };
    expect(() => planFork(fx.state, other, done.id, place(agent))).toThrow(
      `job ${done.id} belongs to agent worker, not other; fork it as its own agent: herdctl trigger worker --fork ${done.id}`,
    );
    const queued = fx.state.jobs.create({
      agent: "worker",
      triggerType: "manual",
      prompt: "x",
      runtime: "cli",
    });
    fx.state.jobs.start(queued.id, { sessionId: crypto.randomUUID() });
    expect(() => planFork(fx.state, agent, queued.id, place(agent))).toThrow(
      /is still running; .*herdctl cancel/,
    );
    const noSession = fx.state.jobs.create({
      agent: "worker",
      triggerType: "manual",
      prompt: "x",
      runtime: "cli",
    });
    fx.state.jobs.start(noSession.id);
    fx.state.jobs.finish(noSession.id, { status: "failed", exitReason: "error", error: "boom" });
    expect(() => planFork(fx.state, agent, noSession.id, place(agent))).toThrow(
      `job ${noSession.id} has no session to fork (it ended before claude started one); start a new job instead: herdctl trigger worker`,
    );
    const elsewhere = { ...place(agent), configDir: join(fx.tmp.dir, "nowhere") };
    expect(() => planFork(fx.state, agent, done.id, elsewhere)).toThrow(
      /is not in .*so claude cannot fork it/,
    );
    expect(() => planFork(fx.state, agent, "job-20250101120000-abcdef", place(agent))).toThrow(
      "Job job-20250101120000-abcdef not found",
    );
  });

  test("fails a fork whose conversation claude cannot find, instead of quietly starting afresh", async () => {
    fx.standin.setResponder(script([textReply("should not be needed")]));
    const { agent } = await writeFleet(fx.tmp.dir, agentYaml);
    const gone = crypto.randomUUID();
    const job = await executor().execute({
      agent,
      prompt: "which word?",
      triggerType: "manual",
      session: { mode: "resume", sessionId: gone, fork: true },
    });
    expect(job.status).toBe("failed");
    expect(fx.state.readJobOutput(job.id).map((l) => JSON.stringify(l.message))).not.toContainEqual(
      expect.stringContaining("retrying once with a new session"),
    );
    expect(fx.state.sessions.get(agent.name)).toBeUndefined();
  });

  test("adopts a session started by hand with claude in the working directory; the next job resumes it", async () => {
    fx.standin.setResponder(script([textReply("noted by hand"), textReply("continued")]));
    const { agent, workspace } = await writeFleet(fx.tmp.dir, agentYaml);
    const handMade = await claudeByHand(workspace, env, "remember the word heron");

    const listed = adoptionCandidates(fx.state, agent, { stateDir: fx.state.stateDir, env });
    expect(listed.sessions.map((s) => s.sessionId)).toEqual([handMade]);
    expect(listed.sessions[0]?.firstPrompt).toBe("remember the word heron");

    const adopted = adoptSession(fx.state, agent, handMade, { stateDir: fx.state.stateDir, env });
    expect(adopted).toMatchObject({ copiedFrom: null, replaced: null });
    const job = await executor().execute({
      agent,
      prompt: "which word?",
      triggerType: "manual",
      session: { mode: "continue" },
    });
    expect(job).toMatchObject({ status: "completed", sessionId: handMade });
    expect(transcriptText(fx.standin)).toContain("remember the word heron");
  });

  it("says which session ids exist when the one to adopt does not", async () => {
    const { agent } = await writeFleet(fx.tmp.dir, agentYaml);
    const missing = "11111111-1111-4111-8111-111111111111";
    expect(() => adoptSession(fx.state, agent, missing, { stateDir: fx.state.stateDir, env })).toThrow(
      `no Claude Code session ${missing} in ${join(env.CLAUDE_CONFIG_DIR!, "projects", projectSlug(place(agent).cwd))}`,
    );
    expect(fx.state.sessions.get(agent.name)).toBeUndefined();
  });
});
