import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerError } from "../../src/docker/errors.js";
import { buildImage, findClaudeBinary, imageRecipeHash, splitTag } from "../../src/docker/image.js";
import { herdctlCacheDir } from "../../src/docker/rootfs.js";
import { RUNTIME_DOCKERFILE, singleFileTar } from "../../src/docker/runtime-image.js";
import { ensureRuntimeImage, IMAGE_TIMEOUT_MS } from "./runtime-image-fixture.js";

const docker = new Dockerode();
const scratch = mkdtempSync(join(tmpdir(), "herdctl-image-"));
const extraTag = `herdctl/runtime-test:${randomBytes(4).toString("hex")}`;

/** Runs a one-off command in the image as its default user, with no network. */
async function runInImage(image: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    const { StatusCode } = await container.wait();
    const logs = await container.logs({ stdout: true, stderr: true });
    return { code: StatusCode, output: demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

function demux(buffer: Buffer): string {
  let out = "";
  for (let i = 0; i + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(i + 4);
    out += buffer.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  return out;
}

let image: string;
beforeAll(async () => {
  image = await ensureRuntimeImage();
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  for (const ref of [extraTag])
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
});

describe("the offline runtime image", () => {
  it("runs claude as the non-root herdctl user, with git and a workspace", async () => {
    expect(image).toBe("herdctl/runtime:latest");
    const result = await runInImage(image, [
      "/bin/sh",
      "-c",
      "id; pwd; echo $HOME; claude --version; git --version",
    ]);
    expect(result.code).toBe(0);
    const lines = result.output.trim().split("\n");
    expect(lines[0]).toBe("uid=1000(herdctl) gid=1000(herdctl) groups=1000(herdctl)");
    expect(lines.slice(1, 4)).toEqual([
      "/workspace",
      "/home/herdctl",
      `${findClaudeBinary().version} (Claude Code)`,
    ]);
    expect(lines[4]).toMatch(/^git version 2\./);
    const info = await docker.getImage(image).inspect();
    expect(info.Config.User).toBe("herdctl");
    expect(info.Config.Labels["herdctl.image-hash"]).toBe(
      imageRecipeHash("offline", findClaudeBinary().version),
    );
  });

  it("is reused when built again, and kept the debootstrap tarball", async () => {
    const logs: string[] = [];
    const result = await buildImage({ offline: true, onLog: (l) => logs.push(l) });
    expect(result).toEqual({
      tag: "herdctl/runtime:latest",
      cached: true,
      hash: imageRecipeHash("offline", findClaudeBinary().version),
    });
    // cached: true and this one log line say nothing was built; how long that took is the
    // machine's business.
    expect(logs).toEqual([`herdctl/runtime:latest is up to date (claude ${findClaudeBinary().version})`]);
    const tarballs = execFileSync("ls", [herdctlCacheDir()], { encoding: "utf8" });
    expect(tarballs).toMatch(/^rootfs-trixie-[0-9a-f]{16}\.tar$/m);
  });

  it(
    "imports a new image from the cached root filesystem when the recipe differs",
    async () => {
      const marker = randomBytes(4).toString("hex");
      const result = await buildImage({ offline: true, tag: extraTag, labels: { "herdctl.test": marker } });
      expect(result.cached).toBe(false);
      const info = await docker.getImage(extraTag).inspect();
      expect(info.Config.Labels).toMatchObject({ "herdctl.test": marker, "herdctl.image-hash": result.hash });
      expect(info.Config.WorkingDir).toBe("/workspace");
      const run = await runInImage(extraTag, ["claude", "--version"]);
      expect(run).toEqual({ code: 0, output: `${findClaudeBinary().version} (Claude Code)\n` });
      // The same recipe again is a cache hit, even under another tag.
      const again = await buildImage({ offline: true, tag: extraTag, labels: { "herdctl.test": marker } });
      expect(again).toEqual({ ...result, cached: true });
    },
    IMAGE_TIMEOUT_MS,
  );
});

describe("image build helpers", () => {
  it("docker/Dockerfile is the Dockerfile herdctl builds online", () => {
    const file = join(import.meta.dirname, "../../../../docker/Dockerfile");
    expect(readFileSync(file, "utf8")).toBe(RUNTIME_DOCKERFILE);
  });

  it("packs a build context tar can read back", () => {
    const archive = join(scratch, "ctx.tar");
    writeFileSync(archive, singleFileTar("Dockerfile", Buffer.from("FROM scratch\n")));
    expect(execFileSync("tar", ["-tvf", archive], { encoding: "utf8" })).toMatch(
      /-rw-r--r-- .* 13 .* Dockerfile\n$/,
    );
    execFileSync("tar", ["-xf", archive, "-C", scratch]);
    expect(readFileSync(join(scratch, "Dockerfile"), "utf8")).toBe("FROM scratch\n");
  });

  it("splits image references", () => {
    expect(splitTag("herdctl/runtime:latest")).toEqual({ repo: "herdctl/runtime", tag: "latest" });
    expect(splitTag("localhost:5000/herdctl/runtime")).toEqual({
      repo: "localhost:5000/herdctl/runtime",
      tag: "latest",
    });
    expect(splitTag("localhost:5000/r:v2")).toEqual({ repo: "localhost:5000/r", tag: "v2" });
  });

  it("finds the native claude binary shipped with herdctl", () => {
    const { path, version } = findClaudeBinary();
    expect(existsSync(path)).toBe(true);
    expect(execFileSync(path, ["--version"], { encoding: "utf8" })).toBe(`${version} (Claude Code)\n`);
  });

  it("fails with DOCKER_UNAVAILABLE when no engine answers", async () => {
    const dead = join(scratch, "dead.sock");
    const error = await buildImage({ offline: true, docker: new Dockerode({ socketPath: dead }) }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(DockerError);
    expect(error.code).toBe("DOCKER_UNAVAILABLE");
    expect(error.message).toMatch(
      new RegExp(`^cannot reach the Docker engine at unix://${dead} \\(ENOENT\\): start it`),
    );
  });
});
