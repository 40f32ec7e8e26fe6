import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FleetManager, JobRecord } from "@herdctl/core";
import { script, textReply, toolUse, writeFile } from "@herdctl/standin";
import Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { fleetFixture, toolResults } from "./fleet-fixture.js";

/**
 * The security review's critical finding, replayed as an attacker would: a job rewrites the
 * configuration that governs it (its agent file turning Docker off and adding a host shell hook,
 * the fleet file, .env, herdctl's state) and a later job or hook would run with the result. Every
 * attempt must fail inside the job, and no host command may run.
 */
const CONTAINER_UID = 1000;
const docker = new Dockerode();

function evilAgentFile(name: string, marker: string): string {
  return (
    `name: ${name}\nruntime: cli\npermission_mode: acceptEdits\ndocker: { enabled: false }\n` +
    `hooks:\n  after_run:\n    - { type: shell, command: "id > '${marker}'" }\n`
  );
}

function chownTree(dir: string): void {
  execFileSync("chown", ["-R", `${CONTAINER_UID}:${CONTAINER_UID}`, dir]);
}

// The first Docker test may build the runtime image (~80 s on a fresh machine).
describe("a job cannot loosen its own sandbox (real claude, stand-in API)", {
  timeout: IMAGE_TIMEOUT_MS,
}, () => {
  const fleetName = `isolation${process.pid}`;
  // Glob characters and a space in the path: the protections must match it literally.
  const fx = fleetFixture(fleetName, "herdctl-isolation [x]*-", { clearRequests: true });

  async function start(fleetYaml: string, files: Record<string, string>): Promise<FleetManager> {
    if (fleetYaml.includes("docker:")) await ensureRuntimeImage();
    writeFileSync(
      join(fx.root.dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: ${fleetName} }\n${fleetYaml}`,
    );
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(fx.root.dir, path, ".."), { recursive: true });
      writeFileSync(join(fx.root.dir, path), text);
    }
    return fx.startFleet();
  }

  async function run(f: FleetManager, agent: string, prompt = "go"): Promise<JobRecord> {
    return f.wait(f.trigger(agent, { prompt }).id);
  }

  it("Docker: the agent file in the workspace stays read-only; Docker stays on and no hook reaches the host", async () => {
    const marker = join(fx.root.dir, "pwned-docker");
    const agentFile = "agents/boxed/agent.yaml";
    const original = "name: boxed\nruntime: cli\npermission_mode: acceptEdits\n";
    const f = await start(
      "defaults:\n  docker: { enabled: true, network: host }\nagents:\n  - path: ./agents/boxed/agent.yaml\n",
      { [agentFile]: original },
    );
    // As for a non-root operator: the container user owns the workspace and the file in it.
    chownTree(join(fx.root.dir, "agents", "boxed"));
    fx.standin.setResponder(
      script([
        writeFile("/workspace/agent.yaml", evilAgentFile("boxed", marker)),
        writeFile("/workspace/notes.txt", "the workspace itself is writable"),
        textReply("tried"),
      ]),
    );
    const first = await run(f, "boxed");
    expect(first).toMatchObject({ status: "completed", docker: true });
    expect(readFileSync(join(fx.root.dir, agentFile), "utf8")).toBe(original);
    expect(readFileSync(join(fx.root.dir, "agents", "boxed", "notes.txt"), "utf8")).toBe(
      "the workspace itself is writable",
    );
    const results = toolResults(fx.standin);
    expect(results.map((r) => r.isError)).toEqual([true, false]);
    expect(results[0]!.text).toMatch(/read-only|EROFS|EBUSY|permission/i);
    // Said where the operator looks: the job's output, the daemon log and `herdctl status`.
    const tampers = f.status().agents.find((a) => a.name === "boxed")!.configTampers;
    expect(tampers).toEqual([
      expect.objectContaining({ jobId: first.id, tool: "Write", path: join(fx.root.dir, agentFile) }),
    ]);
    expect(fx.logs.join("\n")).toContain(
      `job ${first.id}: agent boxed tried to change ${join(fx.root.dir, agentFile)}`,
    );

    const reload = await f.reload();
    expect(reload).toMatchObject({ ok: true, updated: [] });
    fx.standin.setResponder(script([textReply("second")]));
    const second = await run(f, "boxed");
    expect(second).toMatchObject({ status: "completed", docker: true });
    expect(existsSync(marker)).toBe(false);
  });

  it("Docker: with the fleet root as workspace, the fleet file, .env and herdctl's state cannot be written", async () => {
    const fleetYaml =
      "defaults:\n  docker: { enabled: true, network: host }\nagents:\n  - path: ./agent.yaml\n";
    const f = await start(fleetYaml, {
      "agent.yaml": "name: rooted\nruntime: cli\npermission_mode: acceptEdits\n",
    });
    chownTree(fx.root.dir);
    const fleetFile = readFileSync(join(fx.root.dir, "herdctl.yaml"), "utf8");
    fx.standin.setResponder(
      script([
        writeFile("/workspace/herdctl.yaml", "version: 1\nagents: []\n"),
        writeFile("/workspace/.env", "BASH_ENV=/workspace/evil.sh\n"),
        writeFile("/workspace/.herdctl/planted.txt", "planted"),
        writeFile("/workspace/agent.yaml", evilAgentFile("rooted", "/workspace/pwned")),
        writeFile("/workspace/ok.txt", "fine"),
        textReply("tried"),
      ]),
    );
    const job = await run(f, "rooted");
    expect(job).toMatchObject({ status: "completed", docker: true });
    expect(toolResults(fx.standin).map((r) => r.isError)).toEqual([true, true, true, true, false]);
    expect(readFileSync(join(fx.root.dir, "herdctl.yaml"), "utf8")).toBe(fleetFile);
    // An absent .env is covered by an empty read-only placeholder, which stays empty.
    expect(existsSync(join(fx.root.dir, ".env")) ? readFileSync(join(fx.root.dir, ".env"), "utf8") : "").toBe(
      "",
    );
    expect(existsSync(join(fx.root.dir, ".herdctl", "planted.txt"))).toBe(false);
    expect(readFileSync(join(fx.root.dir, "agent.yaml"), "utf8")).toMatch(/^name: rooted\n/);
    expect(readFileSync(join(fx.root.dir, "ok.txt"), "utf8")).toBe("fine");
  });

  it("Docker: a shell hook from the agent file runs in the agent's own container, not on the host", async () => {
    // The default network (bridge): the hook's container, like the job's, reaches the proxy by socket.
    const f = await start(
      "defaults:\n  docker: { enabled: true }\nagents:\n  - path: ./agents/boxed/agent.yaml\n",
      {
        "agents/boxed/agent.yaml":
          "name: boxed\nruntime: cli\npermission_mode: acceptEdits\nhooks:\n  after_run:\n" +
          '    - { type: shell, command: "id -u > hook-uid.txt; cat > hook-stdin.json" }\n',
      },
    );
    chownTree(join(fx.root.dir, "agents", "boxed"));
    fx.standin.setResponder(script([textReply("done")]));
    const job = await run(f, "boxed");
    expect(job).toMatchObject({ status: "completed", docker: true });
    expect(job.hookErrors ?? []).toEqual([]);
    expect(readFileSync(join(fx.root.dir, "agents", "boxed", "hook-uid.txt"), "utf8")).toBe(
      `${CONTAINER_UID}\n`,
    );
    expect(
      JSON.parse(readFileSync(join(fx.root.dir, "agents", "boxed", "hook-stdin.json"), "utf8")),
    ).toMatchObject({
      agent: { id: "boxed", name: "boxed" },
      job: { id: job.id, status: "completed" },
    });
    // A used container is removed after its job's end is reported; a stopping fleet waits for that.
    await f.stop();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`herdctl.fleet=${fleetName}`] },
    });
    expect(left).toEqual([]);
  });

  it("a rewrite that got past (an edit by hand) cannot turn Docker off: the reload is refused and status says why", async () => {
    const f = await start(
      "defaults:\n  docker: { enabled: true, network: host }\nagents:\n  - path: ./agents/boxed/agent.yaml\n",
      { "agents/boxed/agent.yaml": "name: boxed\nruntime: cli\n" },
    );
    writeFileSync(
      join(fx.root.dir, "agents/boxed/agent.yaml"),
      evilAgentFile("boxed", join(fx.root.dir, "pwned")),
    );
    const reload = await f.reload();
    expect(reload.ok).toBe(false);
    const status = f.status();
    expect(status.lastReloadError?.message).toContain(
      "agents/boxed/agent.yaml:4:20 docker.enabled: an agent file may only tighten isolation",
    );
    expect(f.agent("boxed").docker?.enabled).toBe(true);
  });

  it("an agent file may repeat the fleet's reach keys but a reload that widens them is refused", async () => {
    const f = await start(
      "defaults:\n  docker: { enabled: true, network: bridge, volumes: ['/srv/shared:/shared:ro'] }\n" +
        "agents:\n  - path: ./agents/boxed/agent.yaml\n",
      // What the reference's examples do: repeat the network and mount the fleet already grants.
      {
        "agents/boxed/agent.yaml":
          "name: boxed\nruntime: cli\ndocker: { network: bridge, volumes: ['/srv/shared:/shared:ro'] }\n",
      },
    );
    expect(f.agent("boxed").docker).toMatchObject({ network: "bridge", volumes: ["/srv/shared:/shared:ro"] });
    writeFileSync(
      join(fx.root.dir, "agents/boxed/agent.yaml"),
      "name: boxed\nruntime: cli\ndocker: { network: host, volumes: ['/srv/shared:/shared:rw', '/:/host'] }\n",
    );
    const reload = await f.reload();
    expect(reload.ok).toBe(false);
    expect(f.status().lastReloadError?.message).toContain(
      'agents/boxed/agent.yaml:3:11 docker.network: "network" can only be set in the fleet file: this agent file asks for network "host"',
    );
    expect(f.agent("boxed").docker).toMatchObject({ network: "bridge", volumes: ["/srv/shared:/shared:ro"] });
  });

  it.each(["cli", "sdk"])(
    "host (%s runtime, acceptEdits, no Bash): claude refuses writes to the configuration and reads of herdctl's state",
    async (runtime) => {
      mkdirSync(join(fx.root.dir, ".herdctl"), { recursive: true });
      const probe = join(fx.root.dir, ".herdctl", "probe.txt");
      const f = await start("agents:\n  - path: ./agents/plain.yaml\n", {
        "agents/plain.yaml":
          `name: plain\nruntime: ${runtime}\nworking_directory: ..\npermission_mode: acceptEdits\n` +
          "allowed_tools: [Read, Write, Edit]\n",
      });
      writeFileSync(probe, "secret-probe-value");
      const before = {
        agent: readFileSync(join(fx.root.dir, "agents/plain.yaml"), "utf8"),
        fleet: readFileSync(join(fx.root.dir, "herdctl.yaml"), "utf8"),
      };
      fx.standin.setResponder(
        script([
          writeFile(
            join(fx.root.dir, "agents/plain.yaml"),
            evilAgentFile("plain", join(fx.root.dir, "pwned")),
          ),
          writeFile(join(fx.root.dir, "herdctl.yaml"), "version: 1\nagents: []\n"),
          writeFile(join(fx.root.dir, ".env"), "BASH_ENV=./evil.sh\n"),
          writeFile(join(fx.root.dir, ".herdctl", "planted.txt"), "planted"),
          toolUse("Read", { file_path: probe }),
          writeFile(join(fx.root.dir, "ok.txt"), "fine"),
          textReply("tried"),
        ]),
      );
      const job = await run(f, "plain");
      expect(job.status).toBe("completed");
      const results = toolResults(fx.standin);
      expect(results.map((r) => r.isError)).toEqual([true, true, true, true, true, false]);
      expect(results.map((r) => r.text).join("\n")).not.toContain("secret-probe-value");
      expect(readFileSync(join(fx.root.dir, "agents/plain.yaml"), "utf8")).toBe(before.agent);
      expect(readFileSync(join(fx.root.dir, "herdctl.yaml"), "utf8")).toBe(before.fleet);
      expect(existsSync(join(fx.root.dir, ".env"))).toBe(false);
      expect(existsSync(join(fx.root.dir, ".herdctl", "planted.txt"))).toBe(false);
      expect(readFileSync(join(fx.root.dir, "ok.txt"), "utf8")).toBe("fine");
      const tampers = f.status().agents[0]!.configTampers.map((t) => `${t.tool} ${t.path}`);
      expect(tampers.sort()).toEqual(
        [
          `Write ${join(fx.root.dir, "agents/plain.yaml")}`,
          `Write ${join(fx.root.dir, "herdctl.yaml")}`,
          `Write ${join(fx.root.dir, ".env")}`,
          `Write ${join(fx.root.dir, ".herdctl", "planted.txt")}`,
          `Read ${probe}`,
        ].sort(),
      );
    },
  );

  it("host: an agent-file shell hook is refused for an agent without Bash and runs for one with it", async () => {
    const marker = (name: string) => join(fx.root.dir, `ran-${name}`);
    const hook = (name: string) =>
      `hooks:\n  after_run:\n    - { type: shell, command: "id > '${marker(name)}'" }\n`;
    const f = await start("agents:\n  - path: ./agents/plain.yaml\n  - path: ./agents/basher.yaml\n", {
      "agents/plain.yaml": `name: plain\nruntime: cli\npermission_mode: acceptEdits\n${hook("plain")}`,
      "agents/basher.yaml": `name: basher\nruntime: cli\nallowed_tools: [Bash]\n${hook("basher")}`,
    });
    fx.standin.setResponder(script([textReply("done")]));
    const plain = await run(f, "plain");
    expect(plain.status).toBe("completed");
    expect(plain.hookErrors).toEqual([
      {
        hook: "after_run[0] shell",
        message: expect.stringContaining(
          `not run: it is declared in the agent file ${join(fx.root.dir, "agents/plain.yaml")}, and agent plain ` +
            "may not run commands on the host itself",
        ),
      },
    ]);
    expect(existsSync(marker("plain"))).toBe(false);
    const basher = await run(f, "basher");
    expect(basher.hookErrors ?? []).toEqual([]);
    expect(readFileSync(marker("basher"), "utf8")).toMatch(/^uid=/);
  });
});
