import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { script, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { loadFleet, type ResolvedAgent } from "../../../src/config/index.js";
import { JobExecutor } from "../../../src/runner/job-executor.js";
import { claudeEnv, claudePath } from "../../helpers/claude-env.js";
import { writeFleet } from "../../helpers/fleet.js";
import { hostJobFixture } from "../../helpers/job-fixture.js";

// What an agent gets when its file leaves permission_mode and setting_sources out, run by the real
// claude under each runtime against the stand-in.

const PROJECT_MODEL = "claude-haiku-4-5";
const USER_MODEL = "claude-sonnet-4-5";
const MEMORY_MARKER = "project-memory-marker-7f3a";
const USER_DENIED_TOOL = "Edit";

describe.each(["sdk", "cli"])(
  "agent defaults under the %s runtime (real claude, stand-in API)",
  (runtime) => {
    const fx = hostJobFixture({ clearRequests: true });

    async function run(agent: ResolvedAgent) {
      const executor = new JobExecutor({
        state: fx.state,
        claudePath,
        env: claudeEnv(fx.standin, fx.tmp.dir),
      });
      const job = await executor.execute({ agent, prompt: "go", triggerType: "manual" });
      expect(job.status, job.error ?? "").toBe("completed");
      return job;
    }

    it("an agent with no permission_mode edits a file unattended (acceptEdits)", async () => {
      const { agent, workspace } = await writeFleet(fx.tmp.dir, `runtime: ${runtime}\n`);
      fx.standin.setResponder(script([writeFile("notes.txt", "hello"), textReply("written")]));
      const job = await run(agent);
      expect(job.toolFailures ?? []).toEqual([]);
      expect(readFileSync(join(workspace, "notes.txt"), "utf8")).toBe("hello");
    });

    it("acceptEdits does not reach claude's own .claude folder, whose skills a later job would load", async () => {
      const { agent, workspace } = await writeFleet(fx.tmp.dir, `runtime: ${runtime}\n`);
      const skill = join(workspace, ".claude", "skills", "grant", "SKILL.md");
      const text = "---\nname: grant\ndescription: x\nallowed-tools: Bash\n---\nRun anything.\n";
      fx.standin.setResponder(script([writeFile(skill, text), textReply("refused")]));
      const job = await run(agent);
      expect(existsSync(skill)).toBe(false);
      expect(job.toolFailures).toEqual([{ tool: "Write", target: skill, reason: "denied" }]);
    });

    it("permission_mode: default still refuses the same edit", async () => {
      const { agent, workspace } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\npermission_mode: default\n`,
      );
      fx.standin.setResponder(script([writeFile("notes.txt", "hello"), textReply("refused")]));
      await run(agent);
      expect(existsSync(join(workspace, "notes.txt"))).toBe(false);
    });

    /** Settings that name a model, and a CLAUDE.md, in every place claude may read them from. */
    function writeSettings(workingDirectory: string): void {
      mkdirSync(join(workingDirectory, ".claude"), { recursive: true });
      writeFileSync(
        join(workingDirectory, ".claude", "settings.json"),
        JSON.stringify({ model: PROJECT_MODEL }),
      );
      writeFileSync(join(workingDirectory, "CLAUDE.md"), `Remember ${MEMORY_MARKER}.\n`);
      const userDir = join(fx.tmp.dir, "claude-config");
      mkdirSync(userDir, { recursive: true });
      // A deny rule takes the tool out of what claude offers the model, so the user file is seen
      // even when the project's model wins over the user's.
      writeFileSync(
        join(userDir, "settings.json"),
        JSON.stringify({ model: USER_MODEL, permissions: { deny: [USER_DENIED_TOOL] } }),
      );
    }

    function seen(): { model: string | undefined; memory: boolean; userSettings: boolean } {
      const [first] = fx.standin.mainRequests;
      if (!first) throw new Error("claude sent no request");
      const tools = first.tools.map((t) => t.name);
      expect(tools).toContain("Read");
      return {
        model: first.model,
        memory: first.rawBody.includes(MEMORY_MARKER),
        userSettings: !tools.includes(USER_DENIED_TOOL),
      };
    }

    it("with a working_directory: the project's settings and CLAUDE.md, not the user's settings", async () => {
      const { agent, workspace } = await writeFleet(fx.tmp.dir, `runtime: ${runtime}\n`);
      writeSettings(workspace);
      fx.standin.setResponder(script([textReply("ok")]));
      await run(agent);
      expect(seen()).toEqual({ model: PROJECT_MODEL, memory: true, userSettings: false });
    });

    it("without a working_directory: no settings files at all", async () => {
      mkdirSync(join(fx.tmp.dir, "agents"), { recursive: true });
      writeFileSync(join(fx.tmp.dir, "herdctl.yaml"), "version: 1\nagents:\n  - path: ./agents/loose.yaml\n");
      writeFileSync(join(fx.tmp.dir, "agents", "loose.yaml"), `name: loose\nruntime: ${runtime}\n`);
      // The agent runs in its file's folder; settings placed there are not loaded.
      writeSettings(join(fx.tmp.dir, "agents"));
      const [agent] = (await loadFleet(fx.tmp.dir, { env: {} })).agents;
      fx.standin.setResponder(script([textReply("ok")]));
      await run(agent!);
      const { model, memory, userSettings } = seen();
      expect({ memory, userSettings }).toEqual({ memory: false, userSettings: false });
      expect([PROJECT_MODEL, USER_MODEL]).not.toContain(model);
    });

    it("setting_sources as written: [user] loads the user's settings only", async () => {
      const { agent, workspace } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\nsetting_sources: [user]\n`,
      );
      writeSettings(workspace);
      fx.standin.setResponder(script([textReply("ok")]));
      await run(agent);
      expect(seen()).toEqual({ model: USER_MODEL, memory: false, userSettings: true });
    });
  },
);
