import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, script, startStandin, textReply, toolUse } from "@herdctl/standin";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAlive as alive } from "../../../../test/setup/process-alive.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { JobRecord } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { until } from "../helpers/until.js";

const WARM = { max: 4, idleMs: 10 * 60_000 };

/** What a job's output says, without what differs between any two runs (ids, times, costs). */
function outputShape(fleet: FleetManager, job: JobRecord): string[] {
  return fleet.state
    .readJobOutput(job.id)
    .map(({ message }) => {
      const m = message as { type: string; subtype?: string; result?: string };
      return [m.type, m.subtype, m.result].filter((part) => part !== undefined).join(":");
    })
    .filter((line) => !line.startsWith("rate_limit_event"));
}

describe("warm claudes (Anthropic faked by the stand-in)", () => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager | undefined;

  beforeEach(async () => {
    // A long silent model turn: the warm process must wait for its reply like a cold one does.
    standin = await startStandin({ responder: () => textReply("done", { delayMs: 1500 }) });
    tmp = tempDir();
  });
  afterEach(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    fleet = undefined;
    await standin.close();
    tmp.cleanup();
  });

  async function startFleet(agentYaml: string): Promise<FleetManager> {
    writeAgents(tmp.dir, { worker: agentYaml });
    fleet = new FleetManager({
      config: tmp.dir,
      env: claudeEnv(standin, tmp.dir),
      watchConfig: false,
      warmClaudes: WARM,
    });
    await fleet.start();
    return fleet;
  }

  async function warmPid(f: FleetManager): Promise<number> {
    await until(() => f.warmClaudePids().length === 1, "a warm claude for the agent");
    return f.warmClaudePids()[0]!;
  }

  for (const runtime of ["cli", "sdk"] as const) {
    it(`${runtime} runtime: the next fresh trigger runs in the warm claude and records what a cold one does`, async () => {
      const f = await startFleet(`default_prompt: "hi"\nruntime: ${runtime}\npermission_mode: acceptEdits\n`);
      const cold = await f.wait(f.trigger("worker", { fresh: true }).id);
      expect(cold.status).toBe("completed");
      const first = await warmPid(f);
      expect(cold.pid).not.toBe(first);
      const second = await f.wait(f.trigger("worker", { fresh: true }).id);
      // The Agent SDK adds a variable to process.env on the first query a process makes, so under
      // the SDK the first warm claude's environment can differ from the second job's and go unused.
      // Whether this process has queried before depends on the files run before this one.
      if (runtime === "cli") expect(second.pid).toBe(first);
      else expect(second.status).toBe("completed");
      const pid = await warmPid(f);

      const warm = await f.wait(f.trigger("worker", { fresh: true }).id);
      expect(warm.pid).toBe(pid);
      expect(warm.status).toBe("completed");
      expect(warm.summary).toBe(cold.summary);
      expect(warm.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(warm.sessionId).not.toBe(cold.sessionId);
      expect(f.state.sessions.get("worker")?.sessionId).toBe(warm.sessionId);
      expect(outputShape(f, warm)).toEqual(outputShape(f, cold));
      expect(standin.mainRequests.at(-1)?.lastUserText).toBe("hi");
      // Its claude exited with the job; a new one waits for the next trigger.
      await until(() => !alive(pid), `warm claude ${pid} to exit after its job`);
      const next = await warmPid(f);
      expect(next).not.toBe(pid);
      // stop ends every warm claude (checked by pid).
      expect(alive(next)).toBe(true);
      await f.stop({ timeoutMs: 0 });
      fleet = undefined;
      expect(alive(next)).toBe(false);
    });
  }

  it("a continued session is warmed too: the next trigger resumes it in the warm claude", async () => {
    const f = await startFleet('default_prompt: "hi"\nruntime: cli\npermission_mode: acceptEdits\n');
    const first = await f.wait(f.trigger("worker").id);
    // The first warm claude guessed a fresh session; the trigger continues one, so it starts cold.
    const guessedFresh = await warmPid(f);
    const second = await f.wait(f.trigger("worker").id);
    expect(second.pid).not.toBe(guessedFresh);
    expect(second.sessionId).toBe(first.sessionId);
    const pid = await warmPid(f);
    const third = await f.wait(f.trigger("worker").id);
    expect(third.pid).toBe(pid);
    expect(third.status).toBe("completed");
    expect(third.sessionId).toBe(first.sessionId);
    // The resumed conversation reached the model: the earlier turns are in the request.
    expect(standin.mainRequests.at(-1)?.messages.length).toBeGreaterThan(2);
  });

  // One fleet, two changes after a warm-up, each of which the warm claude must not outlive.
  it("an edited CLAUDE.md after warm-up starts a new claude that reads it; a reload ends the warm claude and the job runs with the new config", async () => {
    const f = await startFleet(
      'default_prompt: "hi"\nruntime: cli\npermission_mode: acceptEdits\nsystem_prompt: "OLD-PROMPT-TEXT"\nallowed_tools: [Read]\n',
    );
    writeFileSync(join(tmp.dir, "workspace", "CLAUDE.md"), "Old house rules: OLD-RULES-MARKER\n");
    await f.wait(f.trigger("worker", { fresh: true }).id);
    const first = await warmPid(f);
    writeFileSync(
      join(tmp.dir, "workspace", "CLAUDE.md"),
      "New house rules, longer than before: NEW-RULES-MARKER\n",
    );
    const edited = await f.wait(f.trigger("worker", { fresh: true }).id);
    expect(edited.pid).not.toBe(first);
    expect(alive(first)).toBe(false);
    expect(JSON.stringify(standin.mainRequests.at(-1)!.messages)).toContain("NEW-RULES-MARKER");

    const pid = await warmPid(f);
    writeAgents(tmp.dir, {
      worker:
        'default_prompt: "hi"\nruntime: cli\npermission_mode: acceptEdits\nsystem_prompt: "NEW-PROMPT-TEXT"\nallowed_tools: [Read, Grep]\n',
    });
    const reloaded = await f.reload();
    expect(reloaded.ok && reloaded.updated).toEqual(["worker"]);
    await until(() => !alive(pid), `warm claude ${pid} to be ended by the reload`);
    const job = await f.wait(f.trigger("worker", { fresh: true }).id);
    expect(job.status).toBe("completed");
    expect(job.pid).not.toBe(pid);
    const request = standin.mainRequests.at(-1)!;
    expect(request.systemText).toContain("NEW-PROMPT-TEXT");
    expect(request.systemText).not.toContain("OLD-PROMPT-TEXT");
  });

  it("a CLAUDE.md the job itself wrote is what the warm claude for the next job reads", async () => {
    const rules = join(tmp.dir, "workspace", "CLAUDE.md");
    standin.setResponder(
      script([
        toolUse("Write", { file_path: rules, content: "Rules the agent wrote: AGENT-RULES-MARKER\n" }),
        textReply("written"),
      ]),
    );
    const f = await startFleet('default_prompt: "hi"\nruntime: cli\npermission_mode: acceptEdits\n');
    const writer = await f.wait(f.trigger("worker", { fresh: true }).id);
    expect(writer.status).toBe("completed");
    standin.setResponder(() => textReply("done"));
    const pid = await warmPid(f);
    const job = await f.wait(f.trigger("worker", { fresh: true }).id);
    expect(job.pid).toBe(pid);
    expect(JSON.stringify(standin.mainRequests.at(-1)!.messages)).toContain("AGENT-RULES-MARKER");
  });

  it("a fleet without warmClaudes (an embedding, an in-process trigger) starts no claude ahead", async () => {
    writeAgents(tmp.dir, { worker: 'default_prompt: "hi"\nruntime: cli\npermission_mode: acceptEdits\n' });
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    const job = await fleet.wait(fleet.trigger("worker", { fresh: true }).id);
    expect(job.status).toBe("completed");
    expect(fleet.warmClaudePids()).toEqual([]);
  });
});
