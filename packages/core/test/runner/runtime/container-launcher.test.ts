import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerError } from "../../../src/docker/errors.js";
import { ContainerLauncher } from "../../../src/runner/runtime/container-launcher.js";
import { ContainerManager } from "../../../src/runner/runtime/container-manager.js";
import { resolveDockerConfig } from "../../../src/runner/runtime/docker-config.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../docker/runtime-image-fixture.js";

const fleet = `test-cl-${randomBytes(4).toString("hex")}`;
const manager = new ContainerManager();
const root = mkdtempSync(join(tmpdir(), "herdctl-cl-"));
const workingDirectory = join(root, "repo");
const claudeConfigDir = join(root, "docker-sessions", "launcher");
mkdirSync(join(workingDirectory, "src"), { recursive: true });
chownSync(workingDirectory, 1000, 1000);

beforeAll(ensureRuntimeImage, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await removeFleetContainers(fleet);
  rmSync(root, { recursive: true, force: true });
});

describe("ContainerLauncher.mapPath", () => {
  const launcher = new ContainerLauncher(manager, "unused", workingDirectory);

  it("maps the working directory and paths under it to /workspace", () => {
    expect(launcher.mapPath(workingDirectory)).toBe("/workspace");
    expect(launcher.mapPath(`${workingDirectory}/`)).toBe("/workspace");
    expect(launcher.mapPath(join(workingDirectory, "src", "a.ts"))).toBe("/workspace/src/a.ts");
    expect(launcher.mapPath("/workspace/already")).toBe("/workspace/already");
  });

  it("refuses paths the container cannot see", () => {
    const attempt = () => launcher.mapPath(join(root, "repo-other", "x"));
    expect(attempt).toThrow(DockerError);
    expect(attempt).toThrow(
      `${join(root, "repo-other", "x")} is outside the agent's working directory ${workingDirectory}, so the ` +
        "container cannot see it: keep files the agent needs under its working directory or mount them with docker.volumes",
    );
  });
});

describe("ContainerLauncher.spawn", () => {
  let launcher: ContainerLauncher;
  beforeAll(async () => {
    const config = resolveDockerConfig(
      { enabled: true, network: "none", env: { ANTHROPIC_API_KEY: "sk-from-config" } },
      undefined,
      { workingDirectory },
    );
    const ensured = await manager.ensureContainer({
      fleet,
      agent: "launcher",
      jobId: "j",
      config,
      workingDirectory,
      claudeConfigDir,
    });
    launcher = new ContainerLauncher(
      manager,
      ensured.id,
      workingDirectory,
      "/workspace",
      ensured.credentialEnv,
    );
  });

  it("runs in the mapped cwd with container paths, per-exec credentials and claude's config dir on the host", async () => {
    const proc = launcher.spawn(
      "/bin/sh",
      [
        "-c",
        'echo "$PWD|$HOME|$CLAUDE_CONFIG_DIR|$ANTHROPIC_API_KEY|$EXTRA|$PATH"; touch "$CLAUDE_CONFIG_DIR/seen"',
      ],
      {
        cwd: join(workingDirectory, "src"),
        env: { PATH: "/host/only/bin", HOME: "/root", EXTRA: "passed" },
        signal: new AbortController().signal,
      },
    );
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    expect(await proc.exited).toEqual({ exitCode: 0, signal: null });
    expect(out).toBe(
      "/workspace/src|/home/herdctl|/home/herdctl/.claude|sk-from-config|passed|" +
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
    );
    expect(readdirSync(claudeConfigDir)).toContain("seen");
    expect(proc.pid).toBeUndefined();
  });

  it("runs claude from the image", async () => {
    const proc = launcher.spawn("claude", ["--version"], {
      cwd: workingDirectory,
      env: {},
      signal: new AbortController().signal,
    });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const exits: Array<number | null> = [];
    proc.on("exit", (code) => exits.push(code));
    await proc.exited;
    expect(out).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)\n$/);
    expect(exits).toEqual([0]);
    expect(proc.exitCode).toBe(0);
  });
});
