import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { script, textReply } from "@herdctl/standin";
import { beforeEach, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { adoptSession } from "../../src/sessions/adopt.js";
import { planFork } from "../../src/sessions/fork.js";
import { transcriptPlace } from "../../src/sessions/place.js";
import { findTranscript, projectSlug, realCwd } from "../../src/sessions/transcripts.js";
import { StateManager } from "../../src/state/index.js";
import { claudeByHand } from "../helpers/claude-by-hand.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";
import { dockerJobFixture } from "../helpers/job-fixture.js";

describe.each(["cli", "sdk"])(
  "fork and adopt for Docker agents with the %s runtime (real engine)",
  (runtime) => {
    let env: Record<string, string>;
    const fleetName = `sessionstest-${runtime}-${process.pid}`;
    const fx = dockerJobFixture(fleetName);
    beforeEach(() => {
      env = claudeEnv(fx.standin, fx.tmp.dir);
    });

    async function dockerAgent() {
      const loaded = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: acceptEdits\n` +
          "docker:\n  enabled: true\n  memory: 1g\n",
        {
          fleetYaml:
            `version: 1\nfleet: { name: ${fleetName} }\n` +
            "defaults:\n  docker:\n    network: host\nagents:\n  - path: ./agents/worker.yaml\n",
        },
      );
      if (process.getuid?.() === 0) chownSync(loaded.workspace, IMAGE_UID, IMAGE_UID);
      return loaded;
    }

    const executor = () =>
      new JobExecutor({
        state: fx.state,
        claudePath,
        env,
        containers: { manager: new ContainerManager(), fleet: fleetName },
      });
    const lastRequest = () => JSON.stringify(fx.standin.mainRequests.at(-1)?.messages);

    it("forks a job that ran in Docker inside Docker, leaving the original transcript as it was", async () => {
      const { agent } = await dockerAgent();
      fx.standin.setResponder(script([textReply("noted in docker"), textReply("forked in docker")]));
      const first = await executor().execute({
        agent,
        prompt: "remember the word pelican",
        triggerType: "manual",
      });
      expect(first).toMatchObject({ status: "completed", docker: true });
      const place = transcriptPlace(agent, { stateDir: fx.state.stateDir, env });
      const original = findTranscript(place.configDir, place.cwd, first.sessionId!)!;
      expect(original).toContain(join("docker-sessions", "worker", "projects", "-workspace"));
      const before = readFileSync(original);

      const plan = planFork(fx.state, agent, first.id, place);
      const fork = await executor().execute({
        agent,
        prompt: "which word?",
        triggerType: "manual",
        session: plan.session,
        forkedFrom: plan.forkedFrom,
      });
      expect(fork).toMatchObject({ status: "completed", forkedFrom: first.id });
      expect(fork.sessionId).not.toBe(first.sessionId);
      expect(lastRequest()).toContain("remember the word pelican");
      expect(readFileSync(original).equals(before)).toBe(true);
    });

    it("adopts a session started by hand on the host: the transcript is copied in and resumed in the container", async () => {
      const { agent, workspace } = await dockerAgent();
      fx.standin.setResponder(script([textReply("noted by hand"), textReply("continued in docker")]));
      const handMade = await claudeByHand(workspace, env, "remember the word heron");
      const hostCopy = join(
        env.CLAUDE_CONFIG_DIR!,
        "projects",
        projectSlug(realCwd(workspace)),
        `${handMade}.jsonl`,
      );
      const hostBytes = readFileSync(hostCopy);

      const adopted = adoptSession(fx.state, agent, handMade, { stateDir: fx.state.stateDir, env });
      expect(adopted.copiedFrom).toBe(hostCopy);
      expect(adopted.transcript).toBe(
        join(fx.state.agentDockerSessionsDir("worker"), "projects", "-workspace", `${handMade}.jsonl`),
      );
      const job = await executor().execute({
        agent,
        prompt: "which word?",
        triggerType: "manual",
        session: { mode: "continue" },
      });
      expect(job).toMatchObject({ status: "completed", sessionId: handMade, docker: true });
      expect(lastRequest()).toContain("remember the word heron");
      if (process.getuid?.() === 0) expect(statSync(adopted.transcript).uid).toBe(IMAGE_UID);
      expect(readFileSync(hostCopy).equals(hostBytes)).toBe(true);
    });
  },
);

describe("adopting for a Docker agent (fault)", () => {
  it("does not follow a transcript that is a symlink, so no other file is copied into the container's reach", async () => {
    const tmp = tempDir();
    const state = new StateManager(join(tmp.dir, ".herdctl"));
    state.open();
    try {
      const { agent, workspace } = await writeFleet(tmp.dir, "docker:\n  enabled: true\n");
      const configDir = join(tmp.dir, "claude-config");
      const folder = join(configDir, "projects", projectSlug(realCwd(workspace)));
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(tmp.dir, "secret.txt"), "not for containers");
      const id = "22222222-2222-4222-8222-222222222222";
      symlinkSync(join(tmp.dir, "secret.txt"), join(folder, `${id}.jsonl`));
      expect(() =>
        adoptSession(state, agent, id, { stateDir: state.stateDir, env: { CLAUDE_CONFIG_DIR: configDir } }),
      ).toThrow(`no Claude Code session ${id} in ${folder}`);
      expect(existsSync(state.agentDockerSessionsDir("worker"))).toBe(false);
    } finally {
      state.close();
      tmp.cleanup();
    }
  });
});
