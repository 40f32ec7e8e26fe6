import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerLaunch } from "../../packages/cli/src/launch-cache.js";
import { cachedContainer } from "../../packages/cli/src/launch-cache.js";
import { herdctl } from "../../packages/cli/test/helpers/cli.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { scratch, writeFleetFiles } from "./helpers.js";

/**
 * .herdctl/launch-cache.json also tells an in-process trigger which container to create and start
 * for a Docker agent before it has read the fleet. Whoever edits it must not change where a job
 * runs: the job takes that container only when the container the parsed fleet gives has the same
 * hash (image, settings, mounts) and folders, and removes it otherwise; a spec whose claude config
 * folder is not the agent's own under the state directory (the folder herdctl creates and hands to
 * the container user) is not used at all. Real claude in a real container on the Anthropic
 * stand-in (fake Anthropic).
 */
const MARK = "tampered-by-the-test";
const FLEET = `ahead-tamper-${process.pid}`;
const root = scratch("herdctl-container-tamper-");
const stateDir = join(root.dir, ".herdctl");
const cacheFile = join(stateDir, "launch-cache.json");
const configPath = join(root.dir, "herdctl.yaml");
let standin: Standin;
let env: Record<string, string>;

function trigger(args = ["-p", "hi", "--wait"]) {
  return herdctl(["--json", "-v", "trigger", "boxed", ...args], {
    cwd: root.dir,
    env,
    timeoutMs: 120_000,
  });
}

/** cachedContainer with the environment the triggers run with (the cache's stamp holds variables). */
function cached() {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return cachedContainer(stateDir, configPath, "boxed");
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

async function containers(filter: string): Promise<string[]> {
  const found = await new Dockerode().listContainers({ all: true, filters: { label: [filter] } });
  return found.map((c) => c.Id);
}

async function gone(filter: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await containers(filter)).length > 0) {
    if (Date.now() > deadline) throw new Error(`containers labelled ${filter} still there after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function editCache(edit: (launch: ContainerLaunch) => void): void {
  const cache = JSON.parse(readFileSync(cacheFile, "utf8"));
  edit(cache.containers.boxed);
  writeFileSync(cacheFile, JSON.stringify(cache), { mode: 0o600 });
}

beforeAll(async () => {
  await ensureRuntimeImage();
  standin = await startStandin({ responder: () => textReply("done") });
  env = { ...claudeEnv(standin, root.dir), NO_COLOR: "1" };
  writeFleetFiles(
    root.dir,
    FLEET,
    { boxed: "runtime: cli\ndocker: { enabled: true }\n" },
    "defaults:\n  docker: { network: host }\n",
  );
  const past = new Date(Date.now() - 60_000);
  for (const f of ["herdctl.yaml", "agents/boxed.yaml"]) utimesSync(join(root.dir, f), past, past);
  const first = await trigger();
  expect(first.code, first.stderr).toBe(0);
  expect(cached()).toBeDefined();
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await removeFleetContainers(FLEET);
  await standin?.close();
  root.cleanup();
});

describe("an edited launch cache does not change where a Docker job runs", () => {
  it.each([
    {
      what: "the create request the first file sends (a label and an extra mount, the hash label kept)",
      args: ["-p", "hi", "--wait"],
      early: true,
      edit: (launch: ContainerLaunch, planted: string) => {
        launch.body.Labels = { ...launch.body.Labels, planted: MARK };
        const host = launch.body.HostConfig as { Binds: string[] };
        host.Binds = [...host.Binds, `${planted}:/planted:rw`];
      },
    },
    {
      // -phi is a line the first file leaves to commander: the program starts the container, from the spec.
      what: "the spec the program creates from (a label and an extra mount)",
      args: ["-phi", "--wait"],
      early: false,
      edit: ({ spec }: ContainerLaunch, planted: string) => {
        spec.config = {
          ...spec.config,
          labels: { ...spec.config.labels, planted: MARK },
          volumes: [...spec.config.volumes, { hostPath: planted, containerPath: "/planted", mode: "rw" }],
        };
      },
    },
  ])(
    "a changed $what: started, not used, removed; the job runs in the fleet's",
    async ({ args, early, edit }) => {
      const planted = join(root.dir, "planted");
      mkdirSync(planted, { recursive: true });
      editCache((launch) => edit(launch, planted));
      const r = await trigger(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("a container is starting ahead from the launch cache");
      expect(r.stderr.includes("before the program loaded"), r.stderr).toBe(early);
      const ahead = /the container started ahead \(([0-9a-f]{12})\) was not used/.exec(r.stderr)?.[1];
      expect(ahead, r.stderr).toBeDefined();
      const job = JSON.parse(r.stdout) as { status: string; containerId: string };
      expect(job.status).toBe("completed");
      expect(job.containerId.slice(0, 12)).not.toBe(ahead);
      // The planted container never ran a job and is gone; so is the job's, after it.
      await gone(`planted=${MARK}`);
      await gone(`herdctl.fleet=${FLEET}`);
      // The trigger wrote the cache again from what the job really ran.
      expect(readFileSync(cacheFile, "utf8"), r.stderr).not.toContain(MARK);
    },
  );

  it("a claude config folder other than the agent's own: nothing is created from it", async () => {
    expect(cached()).toBeDefined();
    const victim = join(root.dir, "victim");
    editCache(({ spec }) => {
      spec.claudeConfigDir = victim;
    });
    expect(cached()).toBeUndefined();
    const r = await trigger();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("a container is starting ahead");
    // herdctl creates (and, as root, hands over) the folder of a container it creates: not this one.
    expect(existsSync(victim)).toBe(false);
  });

  it("a cache file others could read or write is not used", () => {
    expect(cached()).toBeDefined();
    chmodSync(cacheFile, 0o644);
    expect(cached()).toBeUndefined();
    chmodSync(cacheFile, 0o600);
    expect(cached()).toBeDefined();
  });
});
