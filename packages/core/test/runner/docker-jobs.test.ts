import { chownSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { errorReply, hang, script, textReply, writeFile } from "@herdctl/standin";
import Dockerode from "dockerode";
import { describe, expect, it, test } from "vitest";
import { describeRuntimes } from "../../../../test/setup/runtimes.js";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { claudeEnv, claudePath, TEST_API_KEY } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { dockerJobFixture } from "../helpers/job-fixture.js";

const docker = new Dockerode();

async function fleetContainers(fleet: string) {
  return docker.listContainers({ all: true, filters: { label: [`herdctl.fleet=${fleet}`] } });
}

function findFiles(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

// `test` on both runtimes: what each runtime hands `docker exec` (the launch, the prompt, a resume).
// The rest is the container runner's, shared by both: `it`, one runtime per test.
describeRuntimes("Docker agents with the %s runtime (real engine)", (runtime, it) => {
  const fleetName = `dockertest-${runtime}-${process.pid}`;
  const fx = dockerJobFixture(fleetName);

  async function dockerAgent(extraDocker = "", fleetDocker = "network: host") {
    const loaded = await writeFleet(
      fx.tmp.dir,
      `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: acceptEdits\n` +
        `docker:\n  enabled: true\n  memory: 1g\n  pids_limit: 256\n${extraDocker}`,
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${fleetName} }\n` +
          `defaults:\n  docker:\n    ${fleetDocker.split("\n").join("\n    ")}\n` +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );
    // As on a real machine, the workspace belongs to a non-root user, whose uid the container takes.
    if (process.getuid?.() === 0) chownSync(loaded.workspace, IMAGE_UID, IMAGE_UID);
    return loaded;
  }

  const managers: ContainerManager[] = [];
  /** A used ephemeral container is removed after its job's end is reported (ContainerManager.retire). */
  async function containersLeft() {
    await Promise.all(managers.map((m) => m.settled()));
    return fleetContainers(fleetName);
  }

  const executor = (manager = new ContainerManager()) =>
    managers.push(manager) &&
    new JobExecutor({
      state: fx.state,
      claudePath,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      containers: { manager, fleet: fleetName },
    });

  test("runs a job in a hardened container; the file lands on the host owned by the container user", async () => {
    const { agent, workspace } = await dockerAgent();
    let inspected: Dockerode.ContainerInspectInfo | undefined;
    // Look at the container while the job is running in it.
    const watcher = setInterval(async () => {
      const [c] = await fleetContainers(fleetName);
      if (c && !inspected)
        inspected = await docker
          .getContainer(c.Id)
          .inspect()
          .catch(() => undefined);
    }, 25);
    fx.standin.setResponder(
      script([writeFile("from-docker.txt", "made in a container\n"), textReply("done in docker")]),
    );
    const job = await executor().execute({ agent, prompt: "write it", triggerType: "manual" });
    clearInterval(watcher);
    expect(job).toMatchObject({ status: "completed", docker: true, summary: "done in docker" });
    expect(job.containerId).toMatch(/^[0-9a-f]{64}$/);
    const file = join(workspace, "from-docker.txt");
    expect(readFileSync(file, "utf8")).toBe("made in a container\n");
    expect(statSync(file).uid).toBe(process.getuid?.() === 0 ? IMAGE_UID : process.getuid?.());

    expect(inspected).toBeDefined();
    const hc = inspected!.HostConfig;
    expect(inspected!.Config.User).not.toMatch(/^(0|root)(:|$)/);
    expect(hc.CapDrop).toEqual(["ALL"]);
    expect(hc.SecurityOpt).toContain("no-new-privileges");
    expect(hc.Memory).toBe(1024 ** 3);
    expect(hc.MemorySwap).toBe(1024 ** 3);
    expect(hc.PidsLimit).toBe(256);
    expect(hc.NetworkMode).toBe("host");
    expect(inspected!.Config.Labels).toMatchObject({
      "herdctl.fleet": fleetName,
      "herdctl.agent": "worker",
      "herdctl.job": job.id,
    });
    expect(inspected!.Config.Labels["herdctl.config-hash"]).toMatch(/^[0-9a-f]+$/);
    expect(JSON.stringify(inspected!.Config.Env)).not.toContain(TEST_API_KEY);
    expect(await containersLeft()).toHaveLength(0);
  });

  it("reads the metadata file the agent wrote in /workspace from the host side of the mount", async () => {
    const { agent } = await dockerAgent();
    fx.standin.setResponder(
      script([
        writeFile("metadata.json", JSON.stringify({ shouldNotify: true, from: "container" })),
        textReply("ok"),
      ]),
    );
    const job = await executor().execute({
      agent: { ...agent, metadata_file: "metadata.json" },
      prompt: "report",
      triggerType: "manual",
    });
    expect(job).toMatchObject({
      status: "completed",
      docker: true,
      metadata: { shouldNotify: true, from: "container" },
    });
  });

  test("keeps the transcript under .herdctl/docker-sessions and resumes it in a fresh container", async () => {
    const { agent } = await dockerAgent();
    fx.standin.setResponder(script([textReply("first in docker"), textReply("second in docker")]));
    const first = await executor().execute({
      agent,
      prompt: "remember the word pineapple",
      triggerType: "manual",
    });
    expect(first.status).toBe("completed");
    const transcripts = findFiles(fx.state.dockerSessionsDir, `${first.sessionId}.jsonl`);
    expect(transcripts).toHaveLength(1);
    expect(transcripts[0]).toContain(join(".herdctl", "docker-sessions", "worker"));
    expect(findFiles(join(fx.tmp.dir, "claude-config"), ".jsonl")).toHaveLength(0);

    const second = await executor().execute({
      agent,
      prompt: "what was the word?",
      triggerType: "manual",
      session: { mode: "continue" },
    });
    expect(second).toMatchObject({ status: "completed", sessionId: first.sessionId });
    expect(second.containerId).not.toBe(first.containerId);
    expect(JSON.stringify(fx.standin.mainRequests.at(-1)?.messages)).toContain("pineapple");
  });

  it("removes the ephemeral container after an API failure, a cancel and a timeout", async () => {
    const { agent } = await dockerAgent();
    fx.standin.setResponder(() => errorReply(500, "docker upstream failure"));
    const failed = await executor().execute({ agent, prompt: "fail", triggerType: "manual" });
    expect(failed).toMatchObject({ status: "failed", exitReason: "api_error" });
    expect(failed.error).toContain("docker upstream failure");
    expect(await containersLeft()).toHaveLength(0);

    fx.standin.setResponder(() => hang());
    const controller = new AbortController();
    const poll = setInterval(() => {
      if (fx.standin.mainRequests.some((r) => r.lastUserText === "cancel me")) {
        clearInterval(poll);
        controller.abort();
      }
    }, 50);
    const cancelled = await executor().execute(
      { agent, prompt: "cancel me", triggerType: "manual" },
      { signal: controller.signal },
    );
    clearInterval(poll);
    expect(cancelled.status).toBe("cancelled");
    expect(await containersLeft()).toHaveLength(0);

    const { agent: slow } = await dockerAgent("", "network: host");
    const timed = await executor().execute({
      agent: { ...slow, timeout: 3000 },
      prompt: "hang",
      triggerType: "manual",
    });
    expect(timed).toMatchObject({ status: "timed_out", exitReason: "timeout" });
    expect(await containersLeft()).toHaveLength(0);
  });

  test("delivers a hostile prompt byte for byte through docker exec", async () => {
    const { agent } = await dockerAgent();
    fx.standin.setResponder(script([textReply("ok")]));
    const prompt =
      "Cost $1234 `id` $(whoami) \"q\" 'q' back\\slash\nnew line — naïve 日本語 🐑 ; rm -rf / &&";
    const job = await executor().execute({ agent, prompt, triggerType: "manual" });
    expect(job.status).toBe("completed");
    expect(fx.standin.mainRequests.at(-1)?.lastUserText).toBe(prompt);
  });
});

describe("persistent Docker containers and limits (real engine)", () => {
  const fleetName = `dockerpersist-${process.pid}`;
  const fx = dockerJobFixture(fleetName, { clearRequests: true });

  const agentWith = (docker: string, fleetDocker = "network: host") =>
    writeFleet(
      fx.tmp.dir,
      `runtime: cli\npermission_mode: acceptEdits\ndocker:\n  enabled: true\n${docker}`,
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    ${fleetDocker}\n` +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );

  it("reuses a persistent container across jobs and across a new manager (a daemon restart)", async () => {
    const { agent } = await agentWith("  ephemeral: false\n");
    fx.standin.setResponder(script([textReply("one")]));
    const mk = () =>
      new JobExecutor({
        state: fx.state,
        claudePath,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        containers: { manager: new ContainerManager(), fleet: fleetName },
      });
    const a = await mk().execute({ agent, prompt: "a", triggerType: "manual" });
    const b = await mk().execute({ agent, prompt: "b", triggerType: "manual", session: { mode: "fresh" } });
    expect(a.status).toBe("completed");
    expect(b.status).toBe("completed");
    expect(b.containerId).toBe(a.containerId);
    expect(await fleetContainers(fleetName)).toHaveLength(1);
  });

  it("fails with a clear message when network none keeps claude from the model", async () => {
    const { agent } = await agentWith("", "network: none");
    fx.standin.setResponder(script([textReply("unreachable")]));
    const job = await new JobExecutor({
      state: fx.state,
      claudePath,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      containers: { manager: new ContainerManager(), fleet: fleetName },
    }).execute({ agent: { ...agent, inactivity_timeout: 60_000 }, prompt: "hello", triggerType: "manual" });
    expect(job.status).toBe("failed");
    expect(job.error).toBe(
      'claude in the container cannot reach the model: the agent\'s docker network is "none". Set docker.network to "proxy-only" (or "bridge" or "host") in the fleet file (defaults.docker or agents[].overrides.docker)',
    );
    expect(fx.standin.mainRequests).toHaveLength(0);
    expect(await fleetContainers(fleetName)).toHaveLength(0);
  });
});
