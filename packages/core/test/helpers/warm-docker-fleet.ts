import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Standin } from "@herdctl/standin";
import Dockerode from "dockerode";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "./claude-env.js";

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
