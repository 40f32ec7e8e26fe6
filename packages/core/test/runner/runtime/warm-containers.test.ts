import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { textReply } from "@herdctl/standin";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ContainerManager,
  type ContainerSpec,
  type EnsuredContainer,
} from "../../../src/runner/runtime/container-manager.js";
import { type AgentDockerInput, resolveDockerConfig } from "../../../src/runner/runtime/docker-config.js";
import type { LaunchedProcess } from "../../../src/runner/runtime/launcher.js";
import { WarmContainers } from "../../../src/runner/runtime/warm-containers.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../docker/runtime-image-fixture.js";
import { until } from "../../helpers/until.js";
import { fleetContainerIds, warmDockerFleetFixture } from "../../helpers/warm-docker-fleet.js";

const SECRET = `sk-ant-warm-${randomBytes(6).toString("hex")}`;
const docker = new Dockerode();
const root = mkdtempSync(join(tmpdir(), "herdctl-warm-"));

beforeAll(ensureRuntimeImage, IMAGE_TIMEOUT_MS);
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function exists(id: string): Promise<boolean> {
  return docker
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

async function output(proc: LaunchedProcess): Promise<{ stdout: string; exitCode: number | null }> {
  let stdout = "";
  proc.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  const { exitCode } = await proc.exited;
  return { stdout, exitCode };
}

// In-process, no claude: the pool and the manager against the real engine.
describe("warm containers: which job may take one (real engine)", () => {
  const fleet = `test-warm-${randomBytes(4).toString("hex")}`;
  const manager = new ContainerManager(docker, { killGraceMs: 1000 });
  const pool = new WarmContainers(manager, { max: 4, idleMs: 60_000 });
  manager.warm = pool;
  const workingDirectory = join(root, "repo");

  function spec(jobId: string, extra: AgentDockerInput = {}): ContainerSpec {
    // docker.env's credential is given per exec, never written into the container.
    const input = { enabled: true, network: "none", env: { ANTHROPIC_API_KEY: SECRET }, ...extra };
    return {
      fleet,
      agent: "worker",
      jobId,
      config: resolveDockerConfig(input, undefined, { workingDirectory }),
      workingDirectory,
      claudeConfigDir: join(root, "docker-sessions", "worker"),
    };
  }

  /** A job's container, used and given back as ContainerRunner does; the agent then has none running. */
  async function job(
    jobId: string,
    extra: AgentDockerInput = {},
    use: (c: EnsuredContainer) => Promise<void> = async () => {},
  ): Promise<EnsuredContainer> {
    pool.triggered("worker", "manual");
    const ensured = await manager.ensureContainer(spec(jobId, extra), { warm: true });
    try {
      await use(ensured);
    } finally {
      manager.retire(ensured.id);
    }
    return ensured;
  }

  async function warmed(): Promise<string> {
    pool.idle("worker");
    await until(() => pool.ids().length === 1, "a warm container for the agent");
    return pool.ids()[0]!;
  }

  beforeAll(() => {
    mkdirSync(workingDirectory);
    chownSync(workingDirectory, 1000, 1000);
  });
  afterAll(async () => {
    await pool.close();
    await removeFleetContainers(fleet);
  });

  it("the next job with the same container takes it (by id), exactly once; it holds no credential of any job", async () => {
    // The job writes its credential (given per exec) where a later job could look for it.
    const cold = await job("j1", {}, async (c) => {
      const leak = manager.exec(
        c.id,
        "sh",
        ["-c", 'printenv ANTHROPIC_API_KEY > /tmp/leak; echo "$ANTHROPIC_API_KEY"'],
        { cwd: "/workspace", env: c.credentialEnv, signal: new AbortController().signal },
      );
      expect((await output(leak)).stdout.trim()).toBe(SECRET);
    });
    expect(cold.warm).toBe(false);
    const warmId = await warmed();
    expect(warmId).not.toBe(cold.id);

    const info = await docker.getContainer(warmId).inspect();
    expect(info.Config.Labels).toMatchObject({
      "herdctl.warm": "true",
      "herdctl.job": "warm",
      "herdctl.ephemeral": "true",
    });
    expect(JSON.stringify(info.Config.Env)).not.toContain(SECRET);
    expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
    const look = manager.exec(warmId, "sh", ["-c", "cat /tmp/leak; tr '\\0' '\\n' < /proc/1/environ"], {
      cwd: "/workspace",
      env: {},
      signal: new AbortController().signal,
    });
    const seen = await output(look);
    expect(seen.stdout).not.toContain(SECRET);
    expect(seen.stdout).toContain("HOME=");

    const taken = await job("j2");
    expect(taken).toMatchObject({ id: warmId, warm: true, credentialEnv: { ANTHROPIC_API_KEY: SECRET } });
    expect(pool.ids()).toEqual([]);
    // Used by one job only: the next one (with none warmed) gets a new container.
    const next = await job("j3");
    expect(next.id).not.toBe(warmId);
    await manager.settled();
    expect(await exists(warmId)).toBe(false);
  });

  it("is not used after a config change, a different mount or a replaced workspace; it is removed instead", async () => {
    const changes: Array<[string, () => AgentDockerInput]> = [
      ["memory", () => ({ memory: "1g" })],
      ["mount", () => ({ volumes: [`${root}:/extra:ro`] })],
      [
        "workspace replaced",
        () => {
          // A fresh clone in the same place: a bind mount made before holds the deleted folder.
          rmSync(workingDirectory, { recursive: true });
          mkdirSync(workingDirectory);
          chownSync(workingDirectory, 1000, 1000);
          return {};
        },
      ],
    ];
    for (const [what, change] of changes) {
      await job(`before-${what}`);
      const warmId = await warmed();
      const after = await job(`after-${what}`, change());
      expect({ what, warm: after.warm }).toEqual({ what, warm: false });
      expect(after.id).not.toBe(warmId);
      await manager.settled();
      expect({ what, left: await exists(warmId) }).toEqual({ what, left: false });
    }
  });

  it("close removes the warm containers; a daemon's start-up removes one left by a herdctl that died", async () => {
    await job("j-close");
    const warmId = await warmed();
    // As a daemon starting after a crash would (recovery.ts): no job of the old one is live.
    const orphans = await new ContainerManager(docker).cleanupOrphans(fleet, new Set());
    expect(orphans).toContain(warmId);
    expect(await exists(warmId)).toBe(false);

    // The pool still lists it; a job taking it finds it gone and starts a container of its own.
    const cold = await job("j-after-orphan");
    expect(cold.id).not.toBe(warmId);
    expect(cold.warm).toBe(false);

    const second = await warmed();
    await pool.close();
    expect(await exists(second)).toBe(false);
    pool.idle("worker");
    expect(pool.ids()).toEqual([]);
  });
});

describe("warm containers in a fleet (real claude in Docker, Anthropic faked by the stand-in)", () => {
  const fleetName = `warmfleet${process.pid}`;
  const fx = warmDockerFleetFixture(fleetName, () => textReply("done"));

  it("the next trigger runs in the warm container; stop removes it, and start removes one left behind", async () => {
    const fleet = await fx.start();
    const cold = await fleet.wait(fleet.trigger("boxed").id);
    expect(cold).toMatchObject({ status: "completed", docker: true });
    const warmId = await fx.warmId(fleet);
    expect(warmId).not.toBe(cold.containerId);

    const warm = await fleet.wait(fleet.trigger("boxed").id);
    expect(warm).toMatchObject({
      status: "completed",
      docker: true,
      containerId: warmId,
      summary: cold.summary,
    });
    expect(await fx.warmId(fleet)).not.toBe(warmId);

    await fleet.stop();
    expect(await fleetContainerIds(fleetName)).toEqual([]);

    // One a herdctl that died left behind (created as the pool creates them, labelled "warm").
    const workspace = join(fx.root, "workspace");
    await new ContainerManager(docker).createWarm(
      {
        fleet: fleetName,
        agent: "boxed",
        jobId: "warm",
        config: resolveDockerConfig({ enabled: true, network: "host" }, undefined, {
          workingDirectory: workspace,
        }),
        workingDirectory: workspace,
        claudeConfigDir: join(fx.root, ".herdctl", "docker-sessions", "boxed"),
      },
      () => true,
    );
    expect(await fleetContainerIds(fleetName)).toHaveLength(1);
    await fx.start();
    expect(await fleetContainerIds(fleetName)).toEqual([]);
  });
});
