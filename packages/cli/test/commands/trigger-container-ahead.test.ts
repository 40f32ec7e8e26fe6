import { mkdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../../core/test/docker/runtime-image-fixture.js";
import { modelEnv } from "../helpers/chat.js";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";

/**
 * An in-process trigger (no daemon) of an ephemeral Docker agent creates and starts the agent's
 * container from .herdctl/launch-cache.json before it reads the fleet, and its job takes that
 * container only when the container it computes from the fleet is the same. Real claude in a real
 * container (network host), Anthropic faked by a stand-in on 127.0.0.1; one trigger writes the
 * cache, the next uses it. A planted cache is in test/faults/container-ahead-tamper.test.ts.
 */
const FLEET = `container-ahead-${process.pid}`;
const SECRET = "ghp_containerAheadSecret0123456789";
let standin: Standin;
let dir: string;
let remove: () => Promise<void>;
let env: Record<string, string>;
const CACHE = () => join(dir, ".herdctl", "launch-cache.json");

interface Job {
  id: string;
  status: string;
  containerId: string | null;
}

async function fleetContainers(): Promise<string[]> {
  const found = await new Dockerode().listContainers({
    all: true,
    filters: { label: [`herdctl.fleet=${FLEET}`] },
  });
  return found.map((c) => c.Id);
}

/** The fleet's containers all gone (a helper process removes them after the trigger exits). */
async function noContainersLeft(what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await fleetContainers()).length > 0) {
    if (Date.now() > deadline) throw new Error(`${what}: still there after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function trigger(args: string[] = ["-p", "hi", "--wait"]) {
  const r = await herdctl(["--json", "-v", "trigger", "boxed", ...args], {
    cwd: dir,
    env,
    timeoutMs: 120_000,
  });
  const used = /the container started ahead \(([0-9a-f]{12})\) was used/.exec(r.stderr)?.[1];
  return {
    r,
    started: r.stderr.includes("a container is starting ahead from the launch cache"),
    early: r.stderr.includes(
      "a container is starting ahead from the launch cache, before the program loaded",
    ),
    used,
  };
}

beforeAll(async () => {
  assertBuilt();
  await ensureRuntimeImage();
  standin = await startStandin({ responder: () => textReply("boxed ahead") });
  ({ dir, remove } = await tempDir("herdctl-container-ahead-"));
  env = modelEnv(standin, dir);
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    // A credential in docker.env: given per exec, so never in the cache, and no reason to start cold.
    `version: 1\nfleet: { name: ${FLEET} }\ndefaults:\n  runtime: cli\n  docker:\n    network: host\n    env: { GITHUB_TOKEN: "${SECRET}", GREETING: hello }\nagents:\n  - path: ./agents/boxed.yaml\n`,
  );
  await writeFile(
    join(dir, "agents", "boxed.yaml"),
    "name: boxed\nworking_directory: ../workspace\ndocker: { enabled: true }\n",
  );
  // Files written this instant leave no cache (their times are too close to the parse); age them.
  const past = new Date(Date.now() - 60_000);
  for (const file of ["herdctl.yaml", "agents/boxed.yaml"]) await utimes(join(dir, file), past, past);
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await removeFleetContainers(FLEET);
  await standin?.close();
  await remove?.();
});

describe("trigger without a daemon: a Docker agent's container started ahead from the launch cache", () => {
  it("the second trigger's job runs in the container started before the fleet was read", async () => {
    const first = await trigger();
    expect(first.r.code, first.r.stderr).toBe(0);
    expect(first.started).toBe(false);
    expect(json<Job>(first.r).status).toBe("completed");

    const second = await trigger();
    expect(second.r.code, second.r.stderr).toBe(0);
    expect(second.started, second.r.stderr).toBe(true);
    // By the CLI's first file, before commander's program loaded (early-container.ts).
    expect(second.early, second.r.stderr).toBe(true);
    const job = json<Job>(second.r);
    expect(job.status).toBe("completed");
    expect(second.used, second.r.stderr).toBeDefined();
    expect(job.containerId?.slice(0, 12)).toBe(second.used);
    // Used by that one job and removed after it, like any ephemeral container.
    await noContainersLeft("the used container");
  });

  it("the cache keeps the container without its credentials, private to this user", async () => {
    expect((await stat(CACHE())).mode & 0o777).toBe(0o600);
    const text = await readFile(CACHE(), "utf8");
    const cache = JSON.parse(text) as {
      containers: Record<
        string,
        { spec: { config: { env: Record<string, string> } }; body: { Env: string[] } }
      >;
    };
    expect(cache.containers.boxed?.spec.config.env).toEqual({ GREETING: "hello" });
    expect(cache.containers.boxed?.body.Env).toContain("GREETING=hello");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(env.ANTHROPIC_API_KEY);
  });

  it("a trigger that fails before its job starts removes the container it started ahead", async () => {
    // No -p and no default_prompt: the trigger stops once it has read the fleet.
    const failed = await trigger(["--wait"]);
    expect(failed.r.code).not.toBe(0);
    expect(failed.r.stderr).toContain("has no default_prompt");
    expect(failed.started).toBe(true);
    await noContainersLeft("the unused container");
  });

  it("a trigger commander refuses while the first file is still creating its container leaves no container behind", async () => {
    // The first file reads both flags and starts the container; commander's action refuses the
    // pair at once, well before the engine has created it.
    const refused = await trigger(["-p", "hi", "--fresh", "--resume", "x"]);
    expect(refused.r.code).toBe(2);
    expect(refused.r.stderr).toContain("use only one of --fresh, --resume");
    await noContainersLeft("the container created for a refused trigger");
  });

  it("is not used once the agent's docker settings change; the job's own container runs", async () => {
    const file = join(dir, "herdctl.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("GREETING: hello", "GREETING: changed"));
    const past = new Date(Date.now() - 60_000);
    await utimes(file, past, past);
    const edited = await trigger();
    expect(edited.r.code, edited.r.stderr).toBe(0);
    // The stamp sees the edit: nothing is started from the old container.
    expect(edited.started).toBe(false);
    expect(json<Job>(edited.r).status).toBe("completed");
    const again = await trigger();
    expect(again.used, again.r.stderr).toBeDefined();
  });
});
