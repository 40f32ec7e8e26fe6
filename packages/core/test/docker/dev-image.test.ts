// One file for everything that needs herdctl/runtime:dev: a test file waiting for the image build
// holds a vitest worker, so two such files would stall both workers on a fresh machine.
import { chownSync, copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { script, textReply, toolUse } from "@herdctl/standin";
import Dockerode from "dockerode";
import { beforeAll, describe, expect, it } from "vitest";
import { DEV_DOCKERFILE, DEV_PACKAGES } from "../../src/docker/dev-image.js";
import { buildImage, findClaudeBinary, imageRecipeHash } from "../../src/docker/image.js";
import { IMAGE_UID } from "../../src/docker/runtime-image.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { ContainerManager } from "../../src/runner/runtime/container-manager.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { dockerJobFixture } from "../helpers/job-fixture.js";
import { ensureDevImage } from "./dev-image-fixture.js";
import { IMAGE_TIMEOUT_MS } from "./runtime-image-fixture.js";

const docker = new Dockerode();

/** Runs a shell script in the image as its default user, with no network; stdout and stderr merged. */
async function sh(image: string, script: string): Promise<{ code: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["/bin/sh", "-c", `exec 2>&1; ${script}`],
    Tty: true,
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    const { StatusCode } = await container.wait();
    const logs = await container.logs({ stdout: true, stderr: true });
    return { code: StatusCode, output: logs.toString("utf8").replace(/\r\n/g, "\n") };
  } finally {
    await container.remove({ force: true });
  }
}

let image: string;
beforeAll(async () => {
  image = await ensureDevImage();
}, IMAGE_TIMEOUT_MS);

describe("the dev runtime image", () => {
  it("adds Node with npm and npx, Python with pip and venv, curl, jq, ripgrep and a C toolchain", async () => {
    expect(image).toBe("herdctl/runtime:dev");
    const result = await sh(
      image,
      [
        "set -e",
        "id -un",
        "node --version",
        "npm --version",
        "npx --version",
        "python3 --version",
        "python3 -m pip --version | cut -d' ' -f1",
        "python3 -m venv /tmp/venv && /tmp/venv/bin/python -c 'import sys; print(sys.prefix)'",
        "curl --version | head -1 | cut -d' ' -f1",
        "echo '{\"a\":[1,2]}' | jq -M -c '.a'",
        "rg --version | head -1 | cut -d' ' -f1",
        "printf 'int main(void){return 42;}' > /tmp/t.c && cc -o /tmp/t /tmp/t.c && make --version | head -1 | cut -d' ' -f1-2; /tmp/t || echo exit $?",
        "claude --version | cut -d' ' -f2-",
      ].join("\n"),
    );
    expect(result.output.trim().split("\n")).toEqual([
      "herdctl",
      expect.stringMatching(/^v20\.\d+\.\d+$/),
      expect.stringMatching(/^\d+\.\d+\.\d+$/),
      expect.stringMatching(/^\d+\.\d+\.\d+$/),
      expect.stringMatching(/^Python 3\.13\.\d+$/),
      "pip",
      "/tmp/venv",
      "curl",
      "[1,2]",
      "ripgrep",
      "GNU Make",
      "exit 42",
      "(Claude Code)",
    ]);
    expect(result.code).toBe(0);
  });

  it("is built on the base image's layers and reused when built again", async () => {
    // The base is found by its recipe label, not its tag: the tag follows whichever base was built last.
    const baseHash = imageRecipeHash("offline", findClaudeBinary().version);
    const bases = await docker.listImages({
      all: true,
      filters: { label: [`herdctl.image-hash=${baseHash}`] },
    });
    const baseLayers = await Promise.all(
      bases.map(async (b) => (await docker.getImage(b.Id).inspect()).RootFS.Layers?.[0]),
    );
    const dev = await docker.getImage(image).inspect();
    // One layer of the base (the whole debootstrap root filesystem) and one apt-get layer.
    expect(dev.RootFS.Layers).toHaveLength(2);
    expect(baseLayers).toContain(dev.RootFS.Layers?.[0]);
    expect(dev.Config.User).toBe("herdctl");
    expect(dev.Config.Labels).toMatchObject({ "herdctl.profile": "dev" });
    const logs: string[] = [];
    const again = await buildImage({ offline: true, profile: "dev", onLog: (l) => logs.push(l) });
    expect(again).toMatchObject({ tag: "herdctl/runtime:dev", cached: true });
    expect(logs).toEqual([`herdctl/runtime:dev is up to date (claude ${findClaudeBinary().version})`]);
  });

  it("docker/Dockerfile.dev is the Dockerfile herdctl builds, and installs DEV_PACKAGES", () => {
    const file = join(import.meta.dirname, "../../../../docker/Dockerfile.dev");
    expect(readFileSync(file, "utf8")).toBe(DEV_DOCKERFILE);
    expect(DEV_DOCKERFILE).toContain(` ${DEV_PACKAGES.join(" ")} \\\n`);
  });

  it("refuses an unknown profile", async () => {
    const error = await buildImage({ offline: true, profile: "bogus" as "dev" }).catch((e) => e);
    expect(error.code).toBe("DOCKER_BUILD_FAILED");
    expect(error.message).toBe(
      'building the herdctl runtime image failed: unknown image profile "bogus": use one of base, dev',
    );
  });
});

const SERVER = join(import.meta.dirname, "probe-mcp-server.mjs");

describe.each(["cli", "sdk"])("a stdio MCP server in herdctl/runtime:dev with the %s runtime", (runtime) => {
  const fleetName = `devmcp-${runtime}-${process.pid}`;
  const fx = dockerJobFixture(fleetName, { image: ensureDevImage });

  it("runs the server with node inside the container and hands the tool's result to the model", async () => {
    const { agent, workspace } = await writeFleet(
      fx.tmp.dir,
      `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: acceptEdits\n` +
        "allowed_tools: [mcp__probe__whereami]\n" +
        "mcp_servers:\n  probe: { command: node, args: [probe-mcp-server.mjs] }\n" +
        "docker:\n  enabled: true\n  memory: 1g\n",
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${fleetName} }\n` +
          // host networking: the container reaches the stand-in on the host's 127.0.0.1.
          "defaults:\n  docker: { image: herdctl/runtime:dev, network: host }\n" +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );
    copyFileSync(SERVER, join(workspace, "probe-mcp-server.mjs"));
    if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);

    fx.standin.setResponder(
      script([
        // claude defers MCP tools behind ToolSearch, as it does for a real model.
        toolUse("ToolSearch", { query: "select:mcp__probe__whereami" }),
        toolUse("mcp__probe__whereami", { word: "pineapple" }),
        textReply("the probe answered"),
      ]),
    );
    const executor = new JobExecutor({
      state: fx.state,
      claudePath,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      containers: { manager: new ContainerManager(), fleet: fleetName },
    });
    const job = await executor.execute({ agent, prompt: "ask the probe", triggerType: "manual" });
    expect(job).toMatchObject({ status: "completed", docker: true, summary: "the probe answered" });

    const offered = fx.standin.mainRequests.find((r) =>
      r.tools.some((t) => t.name === "mcp__probe__whereami"),
    );
    expect(offered, "claude offered the MCP tool to the model").toBeDefined();
    const answer = fx.standin.mainRequests
      .flatMap((r) => r.toolResults)
      .find((block) => JSON.stringify(block.content).includes("pineapple"));
    expect(answer, "the stand-in saw the MCP tool's result").toBeDefined();
    expect(answer!.is_error).toBeFalsy();
    // Node from Debian trixie, as the container user, in the mounted workspace.
    const uid = process.getuid?.() === 0 ? IMAGE_UID : process.getuid?.();
    expect(JSON.stringify(answer!.content)).toMatch(
      new RegExp(`pineapple: node v20\\.\\d+\\.\\d+, uid ${uid}, debian trixie, cwd /workspace`),
    );
  });
});
