import { chmodSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ensureRuntimeImage, IMAGE_TIMEOUT_MS } from "../../../core/test/docker/runtime-image-fixture.js";
import { tempDir, writeFleet } from "../../../core/test/helpers/fleet.js";
import { missingImageWarnings } from "../../src/image-warnings.js";
import { assertBuilt, herdctl } from "../helpers/cli.js";

describe("herdctl docker build --profile", () => {
  it("refuses an unknown profile as a usage error, naming the choices", async () => {
    assertBuilt();
    const r = await herdctl(["docker", "build", "--offline", "--profile", "bogus"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: option '--profile <name>' argument 'bogus' is invalid. Allowed choices are base, dev.\n",
    });
  });

  it("lists the profiles in its help", async () => {
    const r = await herdctl(["docker", "build", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /--profile <name>\s+base: claude and git; dev: adds Node, Python and build tools/,
    );
    expect(r.stdout).toContain('(choices: "base", "dev", default: "base")');
  });
});

describe("warnings at start about missing images", () => {
  it(
    "names the agents whose image the engine lacks, and none when it has it",
    async () => {
      await ensureRuntimeImage();
      const tmp = tempDir();
      try {
        const fleetYaml = (image: string) =>
          `version: 1\ndefaults:\n  docker: { image: "${image}" }\nagents:\n  - path: ./agents/worker.yaml\n`;
        const missing = await writeFleet(tmp.dir, "docker: { enabled: true }\n", {
          fleetYaml: fleetYaml("herdctl-test/no-such-image:none"),
        });
        chmodSync(missing.workspace, 0o777);
        expect(await missingImageWarnings([missing.agent])).toEqual([
          'worker runs in Docker, and the Docker image "herdctl-test/no-such-image:none" is not on this engine: pull or build it, or set docker.image to an image you have',
        ]);
        const present = await writeFleet(tmp.dir, "docker: { enabled: true }\n", {
          fleetYaml: fleetYaml("herdctl/runtime:latest"),
        });
        expect(await missingImageWarnings([present.agent])).toEqual([]);
        const host = await writeFleet(tmp.dir, "runtime: cli\n");
        expect(await missingImageWarnings([host.agent])).toEqual([]);
      } finally {
        tmp.cleanup();
      }
    },
    IMAGE_TIMEOUT_MS,
  );
});
