import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerError } from "../../../src/docker/errors.js";
import { ContainerManager, type ContainerSpec } from "../../../src/runner/runtime/container-manager.js";
import { type AgentDockerInput, resolveDockerConfig } from "../../../src/runner/runtime/docker-config.js";
import type { LaunchedProcess } from "../../../src/runner/runtime/launcher.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../docker/runtime-image-fixture.js";

const fleet = `test-cm-${randomBytes(4).toString("hex")}`;
const docker = new Dockerode();
const manager = new ContainerManager(docker, { killGraceMs: 1000 });
const root = mkdtempSync(join(tmpdir(), "herdctl-cm-"));
const workingDirectory = join(root, "repo");
mkdirSync(workingDirectory);
// Owned by a regular user, as a real checkout would be: the container runs as its owner.
chownSync(workingDirectory, 1000, 1000);

function spec(agent: string, jobId: string, docker: AgentDockerInput = {}): ContainerSpec {
  const config = resolveDockerConfig({ enabled: true, network: "none", ...docker }, undefined, {
    workingDirectory,
  });
  return {
    fleet,
    agent,
    jobId,
    config,
    workingDirectory,
    claudeConfigDir: join(root, "docker-sessions", agent),
  };
}

async function output(proc: LaunchedProcess) {
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  proc.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exit = await proc.exited;
  return { stdout, stderr, ...exit };
}

/** Resolves once the process has printed `text`: it is running, whatever the machine's load. */
function printed(proc: LaunchedProcess, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = "";
    const onData = (c: Buffer) => {
      seen += c.toString();
      if (!seen.includes(text)) return;
      proc.stdout.off("data", onData);
      resolve();
    };
    proc.stdout.on("data", onData);
  });
}

const run = (id: string, command: string, args: string[], stdin?: string) =>
  manager.exec(id, command, args, {
    cwd: "/workspace",
    env: {},
    signal: new AbortController().signal,
    ...(stdin === undefined ? {} : { stdin }),
  });

beforeAll(ensureRuntimeImage, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await removeFleetContainers(fleet);
  rmSync(root, { recursive: true, force: true });
});

describe("ContainerManager.ensureContainer", () => {
  it("creates a hardened, labelled, non-root container", async () => {
    const s = spec("hardened", "job-1", {
      memory: "256m",
      pids_limit: 128,
      cpus: 0.5,
      labels: { team: "api" },
      read_only: true,
    });
    const { id, reused } = await manager.ensureContainer(s);
    expect(reused).toBe(false);
    const info = await docker.getContainer(id).inspect();
    expect(info.Config.User).toBe("1000:1000");
    expect(info.Config.Labels).toMatchObject({
      "herdctl.fleet": fleet,
      "herdctl.agent": "hardened",
      "herdctl.job": "job-1",
      "herdctl.ephemeral": "true",
      team: "api",
    });
    expect(info.Config.Labels["herdctl.config-hash"]).toMatch(/^[0-9a-f]{32}$/);
    const hc = info.HostConfig;
    expect(hc.CapDrop).toEqual(["ALL"]);
    expect(hc.SecurityOpt).toEqual(["no-new-privileges"]);
    expect(hc.Memory).toBe(256 * 1024 ** 2);
    expect(hc.MemorySwap).toBe(hc.Memory);
    expect(hc.PidsLimit).toBe(128);
    expect(hc.NanoCpus).toBe(500_000_000);
    expect(hc.NetworkMode).toBe("none");
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(Object.keys(hc.Tmpfs ?? {}).sort()).toEqual(["/home/herdctl", "/tmp"]);
    expect(hc.Binds).toEqual([
      `${workingDirectory}:/workspace:rw`,
      `${s.claudeConfigDir}:/home/herdctl/.claude:rw`,
    ]);
    expect(info.State.Running).toBe(true);
    // The container user owns the transcripts directory, so claude can write to it; nobody else can
    // read it, and the container reaches it through the mount although the state folder is private.
    expect(statSync(s.claudeConfigDir).uid).toBe(1000);
    expect(statSync(s.claudeConfigDir).mode & 0o777).toBe(0o700);
    expect(statSync(root).mode & 0o777).toBe(0o700);

    const probe = await output(
      run(id, "/bin/sh", [
        "-c",
        'id -u; touch /workspace/made-inside; echo t > "$CLAUDE_CONFIG_DIR/probe"; touch /etc/x',
      ]),
    );
    expect(probe.stdout).toBe("1000\n");
    expect(probe.stderr).toContain("Read-only file system");
    expect(existsSync(join(workingDirectory, "made-inside"))).toBe(true);
    expect(readFileSync(join(s.claudeConfigDir, "probe"), "utf8")).toBe("t\n");
  });

  it("runs the claude binary as the non-root user", async () => {
    const { id } = await manager.ensureContainer(spec("claude", "job-claude"));
    const result = await output(run(id, "claude", ["--version"]));
    expect(result).toMatchObject({ exitCode: 0, stdout: "2.1.332 (Claude Code)\n" });
    expect((await output(run(id, "id", ["-un"]))).stdout).toBe("herdctl\n");
  });

  it("reuses a persistent container found by labels, and recreates it when the config changes", async () => {
    const first = await manager.ensureContainer(spec("keeper", "job-a", { ephemeral: false }));
    const again = await manager.ensureContainer(spec("keeper", "job-b", { ephemeral: false }));
    expect(first.reused).toBe(false);
    expect(again).toEqual({ id: first.id, reused: true, warm: false, credentialEnv: {} });
    // Found by label even when stopped and renamed: names mean nothing to herdctl.
    await docker.getContainer(first.id).stop({ t: 0 });
    await docker.getContainer(first.id).rename({ name: `renamed-${fleet}` });
    const restarted = await manager.ensureContainer(spec("keeper", "job-c", { ephemeral: false }));
    expect(restarted.id).toBe(first.id);
    expect((await docker.getContainer(first.id).inspect()).State.Running).toBe(true);

    const changed = await manager.ensureContainer(
      spec("keeper", "job-d", { ephemeral: false, memory: "300m" }),
    );
    expect(changed.reused).toBe(false);
    expect(changed.id).not.toBe(first.id);
    await expect(docker.getContainer(first.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const keepers = (await manager.listFleetContainers(fleet)).filter((c) => c.agent === "keeper");
    expect(keepers.map((c) => c.id)).toEqual([changed.id]);
  });

  it("keeps credentials out of the container's config", async () => {
    const s = spec("secretive", "job-s", { env: { ANTHROPIC_API_KEY: "sk-test", LOG_LEVEL: "debug" } });
    const { id, credentialEnv } = await manager.ensureContainer(s);
    expect(credentialEnv).toEqual({ ANTHROPIC_API_KEY: "sk-test" });
    const env = (await docker.getContainer(id).inspect()).Config.Env;
    expect(env).toContain("LOG_LEVEL=debug");
    expect(env.some((e) => e.includes("sk-test"))).toBe(false);
  });

  it("enforces max_containers per agent, also under concurrent requests", async () => {
    const attempts = await Promise.allSettled(
      ["j1", "j2", "j3"].map((job) => manager.ensureContainer(spec("limited", job, { max_containers: 2 }))),
    );
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(2);
    const rejected = attempts.find((a) => a.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(DockerError);
    expect(rejected.reason.code).toBe("DOCKER_CONTAINER_LIMIT");
    expect(rejected.reason.message).toBe(
      'agent "limited" already has 2 running containers (docker.max_containers: 2): wait for a job to finish or raise docker.max_containers',
    );
    // Another agent has its own budget.
    await expect(
      manager.ensureContainer(spec("unlimited", "j4", { max_containers: 2 })),
    ).resolves.toMatchObject({
      reused: false,
    });
  });

  it("says how to get the image when it is missing", async () => {
    const error = await manager
      .ensureContainer(spec("x", "j", { image: "herdctl/nope:missing" }))
      .catch((e) => e);
    expect(error.code).toBe("DOCKER_IMAGE_MISSING");
    expect(error.message).toBe(
      'the Docker image "herdctl/nope:missing" is not on this engine: pull or build it, or set docker.image to an image you have',
    );
    expect(await manager.hasImage("herdctl/nope:missing")).toBe(false);
    expect(await manager.hasImage("herdctl/runtime:latest")).toBe(true);
  });

  it("names the herdctl command that builds each of herdctl's own images", () => {
    expect(new DockerError({ code: "DOCKER_IMAGE_MISSING", image: "herdctl/runtime:latest" }).message).toBe(
      'the Docker image "herdctl/runtime:latest" is not on this engine: run "herdctl docker build --offline" ' +
        '(no registry needed) or "herdctl docker build", or set docker.image to an image you have',
    );
    expect(new DockerError({ code: "DOCKER_IMAGE_MISSING", image: "herdctl/runtime:dev" }).message).toBe(
      'the Docker image "herdctl/runtime:dev" is not on this engine: run "herdctl docker build --offline --profile dev" ' +
        '(no registry needed) or "herdctl docker build --profile dev", or set docker.image to an image you have',
    );
  });
});

describe("ContainerManager.exec", () => {
  let id: string;
  beforeAll(async () => {
    ({ id } = await manager.ensureContainer(spec("exec", "job-exec")));
  });

  it("separates stdout and stderr and reports the exit code", async () => {
    const result = await output(run(id, "/bin/sh", ["-c", "echo out; echo err >&2; exit 7"]));
    expect(result).toEqual({ stdout: "out\n", stderr: "err\n", exitCode: 7, signal: null });
  });

  it("passes arguments verbatim, never through a shell", async () => {
    const tricky = ["$(touch /tmp/pwned)", "a b", "'\"; exit 3", "*"];
    const result = await output(run(id, "printf", ["[%s]\n", ...tricky]));
    expect(result.stdout).toBe(tricky.map((t) => `[${t}]\n`).join(""));
    expect((await output(run(id, "ls", ["/tmp/pwned"]))).exitCode).not.toBe(0);
  });

  it("feeds stdin, given up front or streamed", async () => {
    expect(await output(run(id, "cat", [], "hello\nworld\n"))).toMatchObject({
      stdout: "hello\nworld\n",
      exitCode: 0,
    });
    const streamed = run(id, "wc", ["-l"]);
    streamed.stdin.write("a\nb\n");
    streamed.stdin.end("c\n");
    expect(await output(streamed)).toMatchObject({ stdout: "3\n", exitCode: 0 });
  });

  it("sets env and cwd per exec", async () => {
    const proc = manager.exec(id, "/bin/sh", ["-c", 'echo "$TOKEN_X $PWD"'], {
      cwd: "/tmp",
      env: { TOKEN_X: "per-exec" },
      signal: new AbortController().signal,
    });
    expect((await output(proc)).stdout).toBe("per-exec /tmp\n");
  });

  it("kill stops the process and its children promptly", async () => {
    const proc = run(id, "/bin/sh", ["-c", "sleep 300 & echo ready; sleep 301; echo not-killed"]);
    await printed(proc, "ready");
    const started = Date.now();
    expect(proc.kill()).toBe(true);
    const result = await output(proc);
    // The sleeps would take 5 minutes; the bound leaves a busy machine room and catches a hang.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result).toMatchObject({ exitCode: null, signal: "SIGTERM", stdout: "" });
    expect(proc.killed).toBe(true);
    const left = await output(run(id, "/bin/sh", ["-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"]));
    expect(left.stdout).not.toContain("sleep 30");
  });

  it("abort sends SIGTERM, then SIGKILL after the grace period", async () => {
    const controller = new AbortController();
    const proc = manager.exec(id, "/bin/sh", ["-c", "trap '' TERM; echo ready; sleep 300"], {
      cwd: "/workspace",
      env: {},
      signal: controller.signal,
    });
    // Only once the trap is set does SIGTERM go unanswered.
    await printed(proc, "ready");
    const started = Date.now();
    controller.abort();
    const result = await output(proc);
    const elapsed = Date.now() - started;
    expect(result.signal).toBe("SIGKILL");
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(20_000);
  });

  it("never starts a command whose signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const proc = manager.exec(id, "touch", ["/tmp/should-not-exist"], {
      cwd: "/",
      env: {},
      signal: controller.signal,
    });
    const exits: Array<[number | null, string | null]> = [];
    proc.on("exit", (code, signal) => exits.push([code, signal]));
    expect(await proc.exited).toEqual({ exitCode: null, signal: "SIGTERM" });
    expect(exits).toEqual([[null, "SIGTERM"]]);
    expect((await output(run(id, "ls", ["/tmp/should-not-exist"]))).exitCode).toBe(2);
  });

  it("reports a missing command as exit code 127", async () => {
    const result = await output(run(id, "no-such-command", []));
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain("no-such-command");
  });

  it("reports a vanished container as an error and an ended process", async () => {
    const proc = manager.exec("0123456789ab-not-there", "true", [], {
      cwd: "/",
      env: {},
      signal: new AbortController().signal,
    });
    const errors: Error[] = [];
    proc.on("error", (e) => errors.push(e));
    expect(await proc.exited).toEqual({ exitCode: null, signal: null });
    expect(errors[0]).toMatchObject({ code: "DOCKER_EXEC_FAILED" });
    expect(errors[0]?.message).toMatch(/^could not run a command in container 0123456789ab: /);
  });
});

describe("ContainerManager cleanup", () => {
  it("removes orphans of dead jobs, keeps live jobs' and persistent containers", async () => {
    const live = await manager.ensureContainer(spec("sweeper", "live-job"));
    const dead = await manager.ensureContainer(spec("sweeper", "dead-job"));
    const kept = await manager.ensureContainer(spec("sweeper-p", "dead-job", { ephemeral: false }));
    const all = await manager.listFleetContainers(fleet);
    const liveJobs = new Set(all.map((c) => c.jobId).filter((job) => job !== "dead-job"));
    expect(await manager.cleanupOrphans(fleet, liveJobs)).toEqual([dead.id]);
    const ids = (await manager.listFleetContainers(fleet)).map((c) => c.id);
    expect(ids).toContain(live.id);
    expect(ids).toContain(kept.id);
    expect(ids).not.toContain(dead.id);

    expect(await manager.removeJobContainers(fleet, "live-job")).toEqual([live.id]);
    await manager.removeContainer(kept.id);
    await manager.removeContainer(kept.id);
    const left = (await manager.listFleetContainers(fleet)).map((c) => c.id);
    expect(left).not.toContain(live.id);
    expect(left).not.toContain(kept.id);
  });
});

describe("an unreachable engine", () => {
  it("fails with DOCKER_UNAVAILABLE and says how to fix it", async () => {
    const saved = process.env.DOCKER_HOST;
    const dead = join(root, "dead.sock");
    process.env.DOCKER_HOST = `unix://${dead}`;
    try {
      const offline = new ContainerManager();
      const error = await offline.ensureContainer(spec("x", "j")).catch((e) => e);
      expect(error).toBeInstanceOf(DockerError);
      expect(error.code).toBe("DOCKER_UNAVAILABLE");
      expect(error.message).toBe(
        `cannot reach the Docker engine at unix://${dead} (ENOENT): start it (e.g. "sudo dockerd &" or ` +
          '"sudo systemctl start docker") or point DOCKER_HOST at a running engine',
      );
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
