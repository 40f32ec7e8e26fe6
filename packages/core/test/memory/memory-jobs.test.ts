import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { script, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { describeRuntimes } from "../../../../test/setup/runtimes.js";
import { MEMORY_FILE } from "../../src/memory/index.js";
import { JobMemory } from "../../src/memory/job-memory.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { contextTokensOf } from "../../src/runner/session-policy.js";
import { Redactor } from "../../src/secrets/redactor.js";
import type { StateManager } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { hostJobFixture } from "../helpers/job-fixture.js";

const SECRET = "mem-token-5Rt8Yu2Io9Pq";

function notices(state: StateManager, jobId: string): string[] {
  return state
    .readJobOutput(jobId)
    .map((l) => l.message as { type: string; text?: string })
    .filter((m) => m.type === "herdctl")
    .map((m) => m.text ?? "");
}

// The system prompt reaches claude alike under both runtimes (system-prompt.test.ts): one per test.
describeRuntimes(
  "agent memory across real jobs with the %s runtime (Anthropic faked by the stand-in)",
  (runtime, it) => {
    const fx = hostJobFixture({ clearRequests: true });

    async function setup(memory: string, extra = "") {
      const loaded = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\npermission_mode: acceptEdits\nmemory: ${memory}\nenv: { SERVICE_TOKEN: ${SECRET} }\n${extra}`,
      );
      const executor = new JobExecutor({
        state: fx.state,
        claudePath,
        env: claudeEnv(fx.standin, fx.tmp.dir),
      });
      return { ...loaded, executor };
    }

    it("run 2 sees in its system prompt what run 1 wrote; the stored notes are redacted and versioned", async () => {
      const { agent, workspace, executor } = await setup(
        "true",
        'system_prompt: { append: "You triage." }\n',
      );
      fx.standin.setResponder(
        script([
          writeFile(MEMORY_FILE, `issue 41 is a duplicate of 12; token ${SECRET}\n`),
          textReply("noted"),
        ]),
      );
      const first = await executor.execute({ agent, prompt: "triage run one", triggerType: "schedule" });
      expect(first.status).toBe("completed");
      const firstSystem = fx.standin.mainRequests.find((r) =>
        r.lastUserText?.includes("triage run one"),
      )!.systemText;
      expect(firstSystem).toContain("You triage.");
      expect(firstSystem).toContain("<memory>\n(no notes yet)\n</memory>");
      const stored = "issue 41 is a duplicate of 12; token [redacted]\n";
      expect(notices(fx.state, first.id)).toContain(
        `memory: stored version 1 of the notes (${Buffer.byteLength(stored)} bytes)`,
      );
      expect(fx.state.memory.current(agent.name)).toMatchObject({
        version: 1,
        content: "issue 41 is a duplicate of 12; token [redacted]\n",
        source: "job",
        jobId: first.id,
        truncatedFrom: null,
      });

      fx.standin.setResponder(script([textReply("nothing new")]));
      const second = await executor.execute({ agent, prompt: "triage run two", triggerType: "schedule" });
      expect(second.status).toBe("completed");
      const system = fx.standin.mainRequests.find((r) =>
        r.lastUserText?.includes("triage run two"),
      )!.systemText;
      expect(system).toContain("You triage.");
      expect(system).toContain("<memory>\nissue 41 is a duplicate of 12; token [redacted]\n\n</memory>");
      expect(system).not.toContain(SECRET);
      // The file holds the stored (redacted) notes; an untouched file makes no new version.
      expect(readFileSync(join(workspace, MEMORY_FILE), "utf8")).toBe(
        "issue 41 is a duplicate of 12; token [redacted]\n",
      );
      expect(fx.state.memory.versions(agent.name)).toHaveLength(1);
    });

    it("cuts notes over max_bytes, says so in the job's output, and the stored version knows it was cut", async () => {
      const { agent, executor } = await setup("{ max_bytes: 300 }");
      const long = `${"x".repeat(999)}\n`;
      fx.standin.setResponder(script([writeFile(MEMORY_FILE, long), textReply("wrote a lot")]));
      const job = await executor.execute({ agent, prompt: "write long notes", triggerType: "manual" });
      expect(job.status).toBe("completed");
      expect(notices(fx.state, job.id)).toContain(
        `memory: ${MEMORY_FILE} holds 1000 bytes, over memory.max_bytes 300; stored the first 300 bytes (the notes say they were cut)`,
      );
      const stored = fx.state.memory.current(agent.name)!;
      expect(stored.truncatedFrom).toBe(1000);
      expect(stored.bytes).toBeLessThanOrEqual(300);
      expect(stored.content).toMatch(
        /^x+\n\n\[herdctl: these notes were cut to 300 bytes from 1000; keep them shorter\]\n$/,
      );
    });

    it("max_context_tokens: a session at the limit is continued, one over it starts anew and hands over through memory", async () => {
      const { agent, executor } = await setup("true");
      // A big first request, as a session re-sending a long history would report.
      const big = {
        input_tokens: 40_000,
        cache_read_input_tokens: 9_000,
        cache_creation_input_tokens: 1_000,
      };
      fx.standin.setResponder(script([textReply("first", { usage: big })]));
      const first = await executor.execute({
        agent,
        prompt: "one",
        triggerType: "schedule",
        session: { mode: "continue" },
      });
      expect(first.status).toBe("completed");
      const size = contextTokensOf(fx.state.jobs.get(first.id)!);
      expect(size).toBeGreaterThanOrEqual(50_000);

      fx.standin.setResponder(script([textReply("second", { usage: big })]));
      const atLimit = await executor.execute({
        agent,
        prompt: "two",
        triggerType: "schedule",
        session: { mode: "continue", maxContextTokens: size },
      });
      expect(atLimit.sessionId).toBe(first.sessionId);
      const grown = contextTokensOf(fx.state.jobs.get(atLimit.id)!);

      fx.standin.setResponder(script([textReply("third")]));
      const over = await executor.execute({
        agent,
        prompt: "three",
        triggerType: "schedule",
        session: { mode: "continue", maxContextTokens: grown - 1 },
      });
      expect(over.status).toBe("completed");
      expect(over.sessionId).not.toBe(first.sessionId);
      expect(notices(fx.state, over.id)).toContain(
        `session ${first.sessionId} had ${grown} tokens of context, over max_context_tokens ${grown - 1}; starting a new session, handing over through memory`,
      );
      expect(fx.state.sessions.get(agent.name)?.sessionId).toBe(over.sessionId);
    });
  },
);

// The file is written before claude starts (JobMemory.prepare, as the executor calls it), so this
// needs no conversation: the job's own run adds nothing to what prepare did.
describe("the memory file on the host", () => {
  const fx = hostJobFixture();

  it("is written with the working directory's owner and replaced, not followed, when it is a symlink (the job's memory step, in-process)", async () => {
    const { agent, workspace } = await writeFleet(fx.tmp.dir, "runtime: cli\nmemory: true\n");
    const { symlinkSync, writeFileSync } = await import("node:fs");
    const outside = join(fx.tmp.dir, "outside.txt");
    writeFileSync(outside, "keep me");
    symlinkSync(outside, join(workspace, MEMORY_FILE));
    fx.state.memory.save(agent.name, { content: "seeded", source: "edit", actor: "test" });
    const notices: string[] = [];
    const memory = JobMemory.for(
      agent,
      { state: fx.state, redactor: new Redactor([]), notice: (text) => notices.push(text) },
      { writeBack: true },
    )!;
    await memory.prepare();
    expect(notices).toEqual([]);
    expect(readFileSync(outside, "utf8")).toBe("keep me");
    expect(readFileSync(join(workspace, MEMORY_FILE), "utf8")).toBe("seeded");
    expect(statSync(join(workspace, MEMORY_FILE)).uid).toBe(statSync(workspace).uid);
  });
});

describe("memory in a chat turn (Anthropic faked by the stand-in)", () => {
  const fx = hostJobFixture({ clearRequests: true });

  it("sees the notes read-only: the file is not rewritten and what the turn writes is not stored", async () => {
    const { agent, workspace } = await writeFleet(
      fx.tmp.dir,
      "runtime: cli\npermission_mode: acceptEdits\nmemory: true\n",
    );
    fx.state.memory.save(agent.name, { content: "from the schedule\n", source: "job" });
    fx.standin.setResponder(script([writeFile(MEMORY_FILE, "written in chat\n"), textReply("ok")]));
    const executor = new JobExecutor({ state: fx.state, claudePath, env: claudeEnv(fx.standin, fx.tmp.dir) });
    const job = await executor.execute({
      agent,
      prompt: "chat turn",
      triggerType: "chat",
      sessionOwner: "chat",
    });
    expect(job.status).toBe("completed");
    const system = fx.standin.mainRequests.find((r) => r.lastUserText?.includes("chat turn"))!.systemText;
    expect(system).toContain("<memory>\nfrom the schedule\n\n</memory>");
    expect(system).toContain(
      `In this conversation the notes are read-only: changes to ${MEMORY_FILE} are not kept.`,
    );
    expect(readFileSync(join(workspace, MEMORY_FILE), "utf8")).toBe("written in chat\n");
    expect(fx.state.memory.versions(agent.name)).toHaveLength(1);
  });
});
