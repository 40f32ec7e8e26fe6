import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { DockerError } from "./errors.js";
import {
  CONTAINER_CLAUDE_DIR,
  CONTAINER_WORKSPACE,
  IMAGE_GID,
  IMAGE_HOME,
  IMAGE_RECIPE_VERSION,
  IMAGE_UID,
  IMAGE_USER,
} from "./runtime-image.js";

export const ROOTFS_SUITE = "trixie";
export const ROOTFS_PACKAGES = ["git", "ca-certificates", "socat"] as const;
export const DEFAULT_MIRROR = "http://deb.debian.org/debian";

export function herdctlCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "herdctl");
}

/** Runs a program with an argument array; rejects with its stderr tail when it fails. */
export function run(command: string, args: readonly string[], onLog?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      tail = (tail + text).slice(-2000);
      if (onLog) for (const line of text.split("\n")) if (line.trim()) onLog(line);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", (error) =>
      reject(new DockerError({ code: "DOCKER_BUILD_FAILED", detail: `${command}: ${error.message}` })),
    );
    child.once("close", (code) => {
      if (code === 0) resolve();
      else {
        const detail = `${command} exited with code ${code}: ${tail.trim().split("\n").slice(-5).join("\n")}`;
        reject(new DockerError({ code: "DOCKER_BUILD_FAILED", detail }));
      }
    });
  });
}

/** The non-root user, with a real home, added by writing the account files (no chroot needed). */
async function addUser(root: string): Promise<void> {
  await appendFile(
    join(root, "etc/passwd"),
    `${IMAGE_USER}:x:${IMAGE_UID}:${IMAGE_GID}:herdctl agent:${IMAGE_HOME}:/bin/sh\n`,
  );
  await appendFile(join(root, "etc/group"), `${IMAGE_USER}:x:${IMAGE_GID}:\n`);
  await appendFile(join(root, "etc/shadow"), `${IMAGE_USER}:!:19000:0:99999:7:::\n`);
  for (const dir of [IMAGE_HOME, CONTAINER_CLAUDE_DIR, CONTAINER_WORKSPACE]) {
    const path = join(root, dir);
    await mkdir(path, { recursive: true });
    await chown(path, IMAGE_UID, IMAGE_GID);
    await chmod(path, 0o755);
  }
}

async function emptyDir(path: string): Promise<void> {
  if (!existsSync(path)) return;
  for (const entry of await readdir(path)) await rm(join(path, entry), { recursive: true, force: true });
}

/**
 * Returns a cached tarball of a minimal Debian root filesystem with the herdctl user, building it
 * with debootstrap when missing. The tarball is keyed by everything that goes into it, so a
 * recipe change never reuses a stale one.
 */
export async function ensureRootfsTarball(options: {
  mirror?: string;
  cacheDir?: string;
  onLog?: (line: string) => void;
}): Promise<{ path: string; cached: boolean }> {
  const mirror = options.mirror ?? DEFAULT_MIRROR;
  const key = createHash("sha256")
    .update(
      JSON.stringify([IMAGE_RECIPE_VERSION, ROOTFS_SUITE, ROOTFS_PACKAGES, mirror, IMAGE_UID, IMAGE_HOME]),
    )
    .digest("hex")
    .slice(0, 16);
  const cacheDir = options.cacheDir ?? herdctlCacheDir();
  const path = join(cacheDir, `rootfs-${ROOTFS_SUITE}-${key}.tar`);
  if (existsSync(path)) return { path, cached: true };

  if (process.getuid?.() !== 0) {
    throw new DockerError({
      code: "DOCKER_BUILD_FAILED",
      detail:
        'the offline build runs debootstrap, which needs root: run "sudo herdctl docker build --offline", ' +
        'or use "herdctl docker build" with a registry',
    });
  }
  await mkdir(cacheDir, { recursive: true });
  const root = await mkdtemp(join(tmpdir(), "herdctl-rootfs-"));
  try {
    options.onLog?.(`debootstrap ${ROOTFS_SUITE} (minbase + ${ROOTFS_PACKAGES.join(", ")}) from ${mirror}`);
    await run(
      "debootstrap",
      ["--variant=minbase", `--include=${ROOTFS_PACKAGES.join(",")}`, ROOTFS_SUITE, root, mirror],
      options.onLog,
    ).catch((error: unknown) => {
      if ((error as DockerError).message.includes("ENOENT")) {
        throw new DockerError({
          code: "DOCKER_BUILD_FAILED",
          detail:
            'debootstrap is not installed: run "apt-get install debootstrap", or use "herdctl docker build"',
        });
      }
      throw error;
    });
    await addUser(root);
    // Package caches only make the image bigger; apt inside an agent container is not a use case.
    await emptyDir(join(root, "var/cache/apt/archives"));
    await emptyDir(join(root, "var/lib/apt/lists"));
    const partial = `${path}.${process.pid}.partial`;
    await run("tar", ["--numeric-owner", "-C", root, "-cf", partial, "."]);
    await rename(partial, path);
    return { path, cached: false };
  } finally {
    await unmountUnder(root);
    await rm(root, { recursive: true, force: true });
  }
}

/** A failed debootstrap can leave /proc or /sys mounted in the target; never recurse into those. */
async function unmountUnder(root: string): Promise<void> {
  let mounts: string[] = [];
  try {
    mounts = (await readFile("/proc/mounts", "utf8"))
      .split("\n")
      .map((line) => line.split(" ")[1] ?? "")
      .filter((target) => target.startsWith(`${root}/`))
      .sort((a, b) => b.length - a.length);
  } catch {
    return;
  }
  for (const target of mounts) await run("umount", ["-l", target]).catch(() => undefined);
}
