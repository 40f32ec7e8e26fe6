import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../../core/test/docker/runtime-image-fixture.js";
import { assertBuilt, herdctl, tempDir } from "../helpers/cli.js";

const FLEET = `trigger-removal-${process.pid}`;

let dir: string;
let remove: () => Promise<void>;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(() => remove());
afterAll(() => removeFleetContainers(FLEET));

async function fleetContainers(): Promise<string[]> {
  const found = await new Dockerode().listContainers({
    all: true,
    filters: { label: [`herdctl.fleet=${FLEET}`] },
  });
  return found.map((c) => c.Id);
}

// Real claude in a real container, Anthropic faked by the --offline stand-in (network host).
it(
  "an in-process trigger of an ephemeral Docker agent ends without waiting for the container's removal, which a helper process finishes",
  async () => {
    await ensureRuntimeImage();
    await mkdir(join(dir, "agents"), { recursive: true });
    await mkdir(join(dir, "workspace"), { recursive: true });
    await writeFile(
      join(dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: ${FLEET} }\ndefaults:\n  runtime: cli\n  docker: { network: host }\nagents:\n  - path: ./agents/boxed.yaml\n`,
    );
    await writeFile(
      join(dir, "agents", "boxed.yaml"),
      "name: boxed\nworking_directory: ../workspace\ndocker: { enabled: true }\n",
    );
    const r = await herdctl(["trigger", "boxed", "--offline", "-p", "hi", "--wait", "-v"], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const handedOff = /· container ([0-9a-f]{12}) is removed by a helper process/.exec(r.stderr);
    expect(handedOff, r.stderr).not.toBeNull();
    // The helper outlives the trigger: the container goes once it is done.
    const deadline = Date.now() + 60_000;
    while ((await fleetContainers()).length > 0) {
      if (Date.now() > deadline) throw new Error(`container ${handedOff![1]} was not removed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  },
  IMAGE_TIMEOUT_MS,
);
