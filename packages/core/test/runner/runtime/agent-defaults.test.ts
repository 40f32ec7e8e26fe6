import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, script, startStandin, textReply, writeFile } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFleet, type ResolvedAgent } from "../../../src/config/index.js";
import { JobExecutor } from "../../../src/runner/job-executor.js";
import { type JobRecord, StateManager } from "../../../src/state/index.js";
import { claudeEnv, claudePath } from "../../helpers/claude-env.js";
import { tempDir, writeFleet } from "../../helpers/fleet.js";
import { hostJobFixture } from "../../helpers/job-fixture.js";

// What an agent gets when its file leaves permission_mode and setting_sources out, run by the real
// claude under each runtime against the stand-in.

const PROJECT_MODEL = "claude-haiku-4-5";
const USER_MODEL = "claude-sonnet-4-5";
const MEMORY_MARKER = "project-memory-marker-7f3a";
const USER_DENIED_TOOL = "Edit";

/** Runs `agent` to completion with the real claude against `standin`. */
async function run(state: StateManager, standin: Standin, dir: string, agent: ResolvedAgent) {
  const executor = new JobExecutor({ state, claudePath, env: claudeEnv(standin, dir) });
  const job = await executor.execute({ agent, prompt: "go", triggerType: "manual" });
  expect(job.status, job.error ?? "").toBe("completed");
  return job;
}

/** Settings that name a model, and a CLAUDE.md, in every place claude may read them from. */
function writeSettings(root: string, workingDirectory: string): void {
  mkdirSync(join(workingDirectory, ".claude"), { recursive: true });
  writeFileSync(join(workingDirectory, ".claude", "settings.json"), JSON.stringify({ model: PROJECT_MODEL }));
  writeFileSync(join(workingDirectory, "CLAUDE.md"), `Remember ${MEMORY_MARKER}.\n`);
  const userDir = join(root, "claude-config");
  mkdirSync(userDir, { recursive: true });
  // A deny rule takes the tool out of what claude offers the model, so the user file is seen
  // even when the project's model wins over the user's.
  writeFileSync(
    join(userDir, "settings.json"),
    JSON.stringify({ model: USER_MODEL, permissions: { deny: [USER_DENIED_TOOL] } }),
  );
}

/** What claude's first request to the stand-in shows of the settings it loaded. */
function seen(standin: Standin): { model: string | undefined; memory: boolean; userSettings: boolean } {
  const [first] = standin.mainRequests;
  if (!first) throw new Error("claude sent no request");
  const tools = first.tools.map((t) => t.name);
  expect(tools).toContain("Read");
  return {
    model: first.model,
    memory: first.rawBody.includes(MEMORY_MARKER),
    userSettings: !tools.includes(USER_DENIED_TOOL),
  };
}

describe.each(["sdk", "cli"])(
  "agent defaults under the %s runtime (real claude, stand-in API)",
  (runtime) => {
    // Three tests read different parts of one launch of an agent that leaves both keys out: the
    // edit it may make, the one it may not, and the settings claude loaded. One run serves them.
    describe("one run of an agent with neither key, its working_directory holding settings", () => {
      let standin: Standin;
      let tmp: ReturnType<typeof tempDir>;
      let state: StateManager;
      let job: JobRecord;
      let workspace: string;
      let skill: string;

      beforeAll(async () => {
        standin = await startStandin();
        tmp = tempDir();
        state = new StateManager(join(tmp.dir, ".herdctl"));
        state.open();
        const written = await writeFleet(tmp.dir, `runtime: ${runtime}\n`);
        workspace = written.workspace;
        writeSettings(tmp.dir, workspace);
        skill = join(workspace, ".claude", "skills", "grant", "SKILL.md");
        const text = "---\nname: grant\ndescription: x\nallowed-tools: Bash\n---\nRun anything.\n";
        standin.setResponder(
          script([writeFile("notes.txt", "hello"), writeFile(skill, text), textReply("done")]),
        );
        job = await run(state, standin, tmp.dir, written.agent);
      });
      afterAll(async () => {
        state?.close();
        tmp?.cleanup();
        await standin?.close();
      });

      it("an agent with no permission_mode edits a file unattended (acceptEdits)", () => {
        expect(readFileSync(join(workspace, "notes.txt"), "utf8")).toBe("hello");
        expect((job.toolFailures ?? []).filter((f) => f.target !== skill)).toEqual([]);
      });

      it("acceptEdits does not reach claude's own .claude folder, whose skills a later job would load", () => {
        expect(existsSync(skill)).toBe(false);
        expect(job.toolFailures).toEqual([{ tool: "Write", target: skill, reason: "denied" }]);
      });

      it("with a working_directory: the project's settings and CLAUDE.md, not the user's settings", () => {
        expect(seen(standin)).toEqual({ model: PROJECT_MODEL, memory: true, userSettings: false });
      });
    });

    describe("one run each", () => {
      const fx = hostJobFixture({ clearRequests: true });

      it("permission_mode: default still refuses the same edit", async () => {
        const { agent, workspace } = await writeFleet(
          fx.tmp.dir,
          `runtime: ${runtime}\npermission_mode: default\n`,
        );
        fx.standin.setResponder(script([writeFile("notes.txt", "hello"), textReply("refused")]));
        await run(fx.state, fx.standin, fx.tmp.dir, agent);
        expect(existsSync(join(workspace, "notes.txt"))).toBe(false);
      });

      it("without a working_directory: no settings files at all", async () => {
        mkdirSync(join(fx.tmp.dir, "agents"), { recursive: true });
        writeFileSync(
          join(fx.tmp.dir, "herdctl.yaml"),
          "version: 1\nagents:\n  - path: ./agents/loose.yaml\n",
        );
        writeFileSync(join(fx.tmp.dir, "agents", "loose.yaml"), `name: loose\nruntime: ${runtime}\n`);
        // The agent runs in its file's folder; settings placed there are not loaded.
        writeSettings(fx.tmp.dir, join(fx.tmp.dir, "agents"));
        const [agent] = (await loadFleet(fx.tmp.dir, { env: {} })).agents;
        fx.standin.setResponder(script([textReply("ok")]));
        await run(fx.state, fx.standin, fx.tmp.dir, agent!);
        const { model, memory, userSettings } = seen(fx.standin);
        expect({ memory, userSettings }).toEqual({ memory: false, userSettings: false });
        expect([PROJECT_MODEL, USER_MODEL]).not.toContain(model);
      });

      it("setting_sources as written: [user] loads the user's settings only", async () => {
        const { agent, workspace } = await writeFleet(
          fx.tmp.dir,
          `runtime: ${runtime}\nsetting_sources: [user]\n`,
        );
        writeSettings(fx.tmp.dir, workspace);
        fx.standin.setResponder(script([textReply("ok")]));
        await run(fx.state, fx.standin, fx.tmp.dir, agent);
        expect(seen(fx.standin)).toEqual({ model: USER_MODEL, memory: false, userSettings: true });
      });
    });
  },
);
