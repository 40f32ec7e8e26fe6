import { chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { always, type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../docker/runtime-image-fixture.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { until } from "../helpers/until.js";

beforeAll(() => ensureRuntimeImage(), IMAGE_TIMEOUT_MS);

describe("schedule gates of a Docker agent (real claude and engine, Messages API stand-in)", () => {
  const fleetName = `gates-docker-${process.pid}`;
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager | undefined;
  beforeAll(async () => {
    standin = await startStandin({ responder: always(textReply("handled in docker")) });
    tmp = tempDir();
  });
  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await removeFleetContainers(fleetName);
    await standin.close();
    tmp.cleanup();
  });

  it("the gate runs in the agent's container, as its user, with no key: exit 0 feeds the prompt, exit 1 skips", async () => {
    const workspace = join(tmp.dir, "workspace");
    mkdirSync(join(tmp.dir, "agents"), { recursive: true });
    mkdirSync(workspace, { recursive: true });
    if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
    writeFileSync(
      join(tmp.dir, "agents", "boxed.yaml"),
      "name: boxed\nworking_directory: ../workspace\nruntime: cli\npermission_mode: acceptEdits\ndocker:\n  enabled: true\n" +
        "schedules:\n" +
        // In the agent file: a Docker agent's own gate runs in its container, never on the host.
        `  inside: { type: interval, interval: 1h, prompt: "poll inside", gate: "echo uid=$(id -u) cwd=$(pwd) key=\${ANTHROPIC_API_KEY:-none}; touch gate-was-here" }\n` +
        '  quiet: { type: interval, interval: 1h, prompt: "poll quiet", gate: "echo no work; exit 1" }\n',
    );
    writeFileSync(
      join(tmp.dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: ${fleetName} }\ndefaults:\n  docker:\n    network: host\nagents:\n  - path: ./agents/boxed.yaml\n`,
    );
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    const done = () =>
      fleet!.jobs({ agent: "boxed" }).jobs.filter((j) => !["queued", "running"].includes(j.status));
    await until(() => done().length >= 2, "both gated jobs ended", 240_000);
    const jobs = new Map(done().map((j) => [j.schedule!, j]));

    expect(jobs.get("inside")).toMatchObject({ status: "completed", docker: true });
    const sent = standin.mainRequests.find((r) => r.lastUserText?.includes("poll inside"))!.lastUserText!;
    expect(sent).toContain(`<gate-output>\nuid=${IMAGE_UID} cwd=/workspace key=none\n</gate-output>`);
    // The workspace the gate wrote to is the agent's own, seen from the host.
    expect(existsSync(join(workspace, "gate-was-here"))).toBe(true);

    expect(jobs.get("quiet")).toMatchObject({
      status: "skipped",
      exitReason: "gate",
      summary: "skipped by the gate: no work",
    });
    expect(standin.mainRequests.filter((r) => r.lastUserText?.includes("poll quiet"))).toEqual([]);
  });
});
