import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Responder, type Standin, startStandin } from "@herdctl/standin";
import Dockerode from "dockerode";
import { afterAll, beforeAll } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../docker/runtime-image-fixture.js";
import { claudeEnv } from "./claude-env.js";
import { tempDir } from "./fleet.js";
import { until } from "./until.js";

export const WARM_CONTAINERS = { max: 4, idleMs: 10 * 60_000 };

/**
 * A one-agent fleet whose agent runs in an ephemeral container (cli runtime, network host, so
 * claude reaches the stand-in on 127.0.0.1), started in-process with warm containers on.
 */
export async function startWarmDockerFleet(
  root: string,
  fleetName: string,
  standin: Standin,
): Promise<FleetManager> {
  mkdirSync(join(root, "agents"), { recursive: true });
  const workspace = join(root, "workspace");
  mkdirSync(workspace, { recursive: true });
  // As on a real machine, the workspace belongs to a non-root user, whose uid the container takes.
  if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
  writeFileSync(
    join(root, "agents", "boxed.yaml"),
    'name: boxed\nworking_directory: ../workspace\nruntime: cli\ndefault_prompt: "hi"\npermission_mode: acceptEdits\n',
  );
  writeFileSync(
    join(root, "herdctl.yaml"),
    `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker: { enabled: true, network: host }\nagents:\n  - path: ./agents/boxed.yaml\n`,
  );
  const fleet = new FleetManager({
    config: root,
    env: claudeEnv(standin, root),
    watchConfig: false,
    warmContainers: WARM_CONTAINERS,
  });
  await fleet.start();
  return fleet;
}

/** Ids of the fleet's containers the engine still has, whatever their state. */
export async function fleetContainerIds(fleetName: string): Promise<string[]> {
  const found = await new Dockerode().listContainers({
    all: true,
    filters: { label: [`herdctl.fleet=${fleetName}`] },
  });
  return found.map((c) => c.Id);
}

/** What a warm-container fleet test uses: a stand-in and a folder for the describe block. */
export interface WarmDockerFleetFixture {
  readonly standin: Standin;
  readonly root: string;
  fleet: FleetManager | undefined;
  /** Starts the fleet (startWarmDockerFleet) in the fixture's folder; stopped after the block. */
  start(): Promise<FleetManager>;
  /** The agent's warm container, once the fleet has made one. */
  warmId(fleet: FleetManager): Promise<string>;
}

export function warmDockerFleetFixture(fleetName: string, responder: Responder): WarmDockerFleetFixture {
  const fx = {} as WarmDockerFleetFixture & { standin: Standin; root: string };
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    await ensureRuntimeImage();
    fx.standin = await startStandin({ responder });
    tmp = tempDir();
    fx.root = tmp.dir;
  }, IMAGE_TIMEOUT_MS);
  afterAll(async () => {
    await fx.fleet?.stop({ timeoutMs: 0 });
    await fx.standin.close();
    await removeFleetContainers(fleetName);
    tmp.cleanup();
  });
  fx.start = async () => {
    fx.fleet = await startWarmDockerFleet(fx.root, fleetName, fx.standin);
    return fx.fleet;
  };
  fx.warmId = async (fleet) => {
    await until(() => fleet.warmContainerIds().length === 1, "a warm container for the agent");
    return fleet.warmContainerIds()[0]!;
  };
  return fx;
}
