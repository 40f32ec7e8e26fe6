import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type Dockerode from "dockerode";
import { withBuildLock } from "./build-lock.js";
import { DEV_DOCKERFILE } from "./dev-image.js";
import { dockerClient } from "./engine.js";
import { DockerError, toDockerError, unavailable } from "./errors.js";
import { IMAGE_PROFILES, type ImageProfile, isImageProfile, PROFILE_IMAGES } from "./profiles.js";
import { ensureRootfsTarball, herdctlCacheDir, ROOTFS_PACKAGES, ROOTFS_SUITE, run } from "./rootfs.js";
import {
  CONTAINER_WORKSPACE,
  DEFAULT_IMAGE,
  IMAGE_HASH_LABEL,
  IMAGE_HOME,
  IMAGE_PATH,
  IMAGE_RECIPE_VERSION,
  IMAGE_USER,
  RUNTIME_DOCKERFILE,
  singleFileTar,
} from "./runtime-image.js";

export interface BuildImageOptions {
  /** Build from debootstrap and the local claude binary, with no registry (needs root). */
  offline: boolean;
  /** `base` (default) or `dev`, which adds toolchains on top of the base image. */
  profile?: ImageProfile;
  /** Defaults to the profile's image, herdctl/runtime:latest or herdctl/runtime:dev. */
  tag?: string;
  onLog?: (line: string) => void;
  /** Debian mirror for the offline build; defaults to HERDCTL_DEBIAN_MIRROR, then deb.debian.org. */
  mirror?: string;
  /** Where the debootstrap tarball is cached; defaults to ${XDG_CACHE_HOME:-~/.cache}/herdctl. */
  cacheDir?: string;
  docker?: Dockerode;
  /** Extra image labels; they are part of the recipe, so different labels mean a different image. */
  labels?: Record<string, string>;
}

export interface BuildImageResult {
  tag: string;
  /** True when an image built from the same recipe and claude version already existed. */
  cached: boolean;
  hash: string;
}

interface ClaudeBinary {
  path: string;
  version: string;
}

/**
 * The native claude binary shipped with herdctl's @anthropic-ai/claude-code dependency. The
 * platform package is preferred: the wrapper's bin/claude.exe is only a stub until its
 * postinstall has run.
 */
export function findClaudeBinary(): ClaudeBinary {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve("@anthropic-ai/claude-code/package.json");
  } catch {
    throw new DockerError({
      code: "DOCKER_BUILD_FAILED",
      detail: "@anthropic-ai/claude-code is not installed next to herdctl: reinstall herdctl",
    });
  }
  const version = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string }).version;
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const candidates = [join(dirname(pkgJson), "bin", "claude.exe")];
  try {
    const platformPkg = createRequire(pkgJson).resolve(
      `@anthropic-ai/claude-code-linux-${arch}/package.json`,
    );
    candidates.unshift(join(dirname(platformPkg), "claude"));
  } catch {
    // Not installed separately: the wrapper's own copy is the only candidate.
  }
  const path = candidates.find((file) => existsSync(file) && isElf(file));
  if (!path) {
    throw new DockerError({
      code: "DOCKER_BUILD_FAILED",
      detail: `no native Linux claude binary found (looked at ${candidates.join(", ")}): use "herdctl docker build"`,
    });
  }
  return { path, version };
}

function isElf(file: string): boolean {
  if (statSync(file).size < 1024 * 1024) return false;
  // Four bytes, not the whole ~200 MB binary: this runs on every (cached) build.
  const head = Buffer.alloc(4);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString("latin1") === "\u007fELF";
}

export function imageRecipeHash(
  mode: "offline" | "online",
  claudeVersion: string,
  labels: Record<string, string> = {},
): string {
  // The offline recipe names its suite and packages, so images built from different lists never share a hash.
  const recipe =
    mode === "online" ? RUNTIME_DOCKERFILE : `debootstrap ${ROOTFS_SUITE} ${ROOTFS_PACKAGES.join(",")}`;
  const sortedLabels = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return createHash("sha256")
    .update(JSON.stringify([IMAGE_RECIPE_VERSION, mode, claudeVersion, recipe, sortedLabels]))
    .digest("hex")
    .slice(0, 24);
}

export function splitTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/")) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: "latest" };
}

/**
 * The image herdctl built with this recipe hash. Images built FROM it (the dev image, a user's
 * extension) inherit its labels, so among several the one already tagged `ref`, else the oldest,
 * is the original.
 */
async function imageWithHash(docker: Dockerode, hash: string, ref: string) {
  const images = await docker.listImages({ filters: { label: [`${IMAGE_HASH_LABEL}=${hash}`] } });
  return (
    images.find((image) => (image.RepoTags ?? []).includes(ref)) ??
    images.sort((a, b) => a.Created - b.Created)[0]
  );
}

/** Reuses an image with this recipe hash, pointing the tag at it when needed. */
async function findCached(docker: Dockerode, hash: string, ref: string): Promise<boolean> {
  const image = await imageWithHash(docker, hash, ref);
  if (!image) return false;
  if (!(image.RepoTags ?? []).includes(ref)) await docker.getImage(image.Id).tag(splitTag(ref));
  return true;
}

/** Waits for a streamed engine response, relaying its lines and failing on an `error` entry. */
function followProgress(docker: Dockerode, stream: NodeJS.ReadableStream, onLog?: (line: string) => void) {
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string }>) => {
        const failed = error?.message ?? output.find((entry) => entry.error)?.error;
        if (failed) reject(new DockerError({ code: "DOCKER_BUILD_FAILED", detail: failed }));
        else resolve();
      },
      (event: { stream?: string; status?: string }) => {
        const text = (event.stream ?? event.status ?? "").trim();
        if (text && onLog) for (const line of text.split("\n")) onLog(line);
      },
    );
  });
}

/**
 * Builds the herdctl runtime image. Online: `docker build` of the Dockerfile (needs a registry).
 * Offline: a debootstrap root filesystem (cached) plus the claude binary herdctl already has,
 * imported as a single layer. Either way an image with the same recipe hash is reused.
 */
export async function buildImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const profile: string = options.profile ?? "base";
  if (!isImageProfile(profile)) {
    throw new DockerError({
      code: "DOCKER_BUILD_FAILED",
      detail: `unknown image profile "${profile}": use one of ${IMAGE_PROFILES.join(", ")}`,
    });
  }
  if (profile === "dev") return buildDevImage(options);
  const docker = options.docker ?? dockerClient();
  const ref = options.tag ?? DEFAULT_IMAGE;
  const claude = findClaudeBinary();
  const hash = imageRecipeHash(options.offline ? "offline" : "online", claude.version, options.labels);
  try {
    const current = await upToDate(docker, hash, ref, claude.version, options.onLog);
    if (current) return current;
    // Two herdctl processes (or test workers) building at once would both debootstrap; the second
    // waits and then finds the first one's image.
    return await lockedBuild(options.cacheDir ?? herdctlCacheDir(), options.onLog, async () => {
      if (await findCached(docker, hash, ref)) return { tag: ref, cached: true, hash };
      if (options.offline) await buildOffline(docker, ref, hash, claude, options);
      else await buildOnline(docker, ref, hash, claude, options);
      await removeSupersededImages(docker);
      return { tag: ref, cached: false, hash };
    });
  } catch (error) {
    throw toDockerError(error, `build ${ref}`, docker);
  }
}

/**
 * The dev profile: `docker build` of DEV_DOCKERFILE FROM the base image (built or reused first,
 * offline or online as asked), so the base's layer is shared and no second debootstrap runs. Its
 * recipe hash covers the base's recipe hash, so a base with another claude or recipe means a new
 * dev image, while a base merely re-imported from the same recipe does not.
 */
async function buildDevImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const docker = options.docker ?? dockerClient();
  const ref = options.tag ?? PROFILE_IMAGES.dev;
  const claude = findClaudeBinary();
  const baseHash = imageRecipeHash(options.offline ? "offline" : "online", claude.version);
  const sortedLabels = Object.entries(options.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const hash = createHash("sha256")
    .update(JSON.stringify([IMAGE_RECIPE_VERSION, "dev", DEV_DOCKERFILE, baseHash, sortedLabels]))
    .digest("hex")
    .slice(0, 24);
  try {
    const current = await upToDate(docker, hash, ref, claude.version, options.onLog);
    if (current) return current;
    const base = await buildImage({
      ...options,
      profile: "base",
      tag: DEFAULT_IMAGE,
      labels: undefined,
      docker,
    });
    return await lockedBuild(options.cacheDir ?? herdctlCacheDir(), options.onLog, async () => {
      if (await findCached(docker, hash, ref)) return { tag: ref, cached: true, hash };
      // By the base's recipe label, not its tag: another build may move the tag meanwhile.
      const baseImage = await imageWithHash(docker, base.hash, base.tag);
      if (!baseImage) throw new DockerError({ code: "DOCKER_BUILD_FAILED", detail: `${base.tag} vanished` });
      options.onLog?.(`building ${ref} on ${base.tag}: apt-get install from the base image's Debian mirror`);
      const context = singleFileTar("Dockerfile", Buffer.from(DEV_DOCKERFILE));
      const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
        t: ref,
        labels: { ...options.labels, [IMAGE_HASH_LABEL]: hash, "herdctl.profile": "dev" },
        buildargs: { BASE: baseImage.Id },
        // The build reaches the Debian mirror the way the host (and debootstrap) does, even where
        // the bridge network has no route or DNS. The Dockerfile is herdctl's own, not a user's.
        networkmode: "host",
        rm: true,
        forcerm: true,
      });
      await followProgress(docker, stream, options.onLog);
      await removeSupersededImages(docker);
      return { tag: ref, cached: false, hash };
    });
  } catch (error) {
    throw toDockerError(error, `build ${ref}`, docker);
  }
}

/** The engine answers, and an image of this recipe already carries the tag: nothing to build. */
async function upToDate(
  docker: Dockerode,
  hash: string,
  ref: string,
  claudeVersion: string,
  onLog: ((line: string) => void) | undefined,
): Promise<BuildImageResult | undefined> {
  await docker.ping().catch((error: unknown) => {
    throw unavailable(error, docker);
  });
  if (!(await findCached(docker, hash, ref))) return undefined;
  onLog?.(`${ref} is up to date (claude ${claudeVersion})`);
  return { tag: ref, cached: true, hash };
}

/** A rebuild leaves the previous image untagged; ~600 MB each is worth reclaiming. */
async function removeSupersededImages(docker: Dockerode): Promise<void> {
  const old = await docker.listImages({ filters: { dangling: ["true"], label: [IMAGE_HASH_LABEL] } });
  for (const image of old) {
    // Still used by a container (a persistent agent container, say): keep it.
    await docker
      .getImage(image.Id)
      .remove()
      .catch(() => undefined);
  }
}

/** The build lock lives beside the rootfs cache: one build at a time for this user. */
async function lockedBuild<T>(
  cacheDir: string,
  onLog: ((line: string) => void) | undefined,
  task: () => Promise<T>,
): Promise<T> {
  await mkdir(cacheDir, { recursive: true });
  return withBuildLock(join(cacheDir, "build.lock"), { onWait: onLog, onTakeOver: onLog }, task);
}

function imageLabels(hash: string, claude: ClaudeBinary, options: BuildImageOptions): Record<string, string> {
  return { ...options.labels, [IMAGE_HASH_LABEL]: hash, "herdctl.claude-version": claude.version };
}

async function buildOnline(
  docker: Dockerode,
  ref: string,
  hash: string,
  claude: ClaudeBinary,
  options: BuildImageOptions,
): Promise<void> {
  const context = singleFileTar("Dockerfile", Buffer.from(RUNTIME_DOCKERFILE));
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: ref,
    labels: imageLabels(hash, claude, options),
    buildargs: { CLAUDE_VERSION: claude.version },
    rm: true,
    forcerm: true,
  });
  await followProgress(docker, stream, options.onLog);
}

async function buildOffline(
  docker: Dockerode,
  ref: string,
  hash: string,
  claude: ClaudeBinary,
  options: BuildImageOptions,
): Promise<void> {
  const rootfs = await ensureRootfsTarball({
    mirror: options.mirror ?? process.env.HERDCTL_DEBIAN_MIRROR,
    cacheDir: options.cacheDir,
    onLog: options.onLog,
  });
  options.onLog?.(rootfs.cached ? `using cached root filesystem ${rootfs.path}` : `cached ${rootfs.path}`);
  const stage = await mkdtemp(join(tmpdir(), "herdctl-image-"));
  try {
    await run("tar", ["--numeric-owner", "-C", stage, "-xf", rootfs.path]);
    const target = join(stage, "usr/local/bin/claude");
    await copyFile(claude.path, target);
    await chmod(target, 0o755);
    options.onLog?.(`importing ${ref} with claude ${claude.version}`);
    const tar = spawn("tar", ["--numeric-owner", "-C", stage, "-c", "."], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tarDone = new Promise<void>((resolve, reject) => {
      let stderr = "";
      tar.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      tar.once("error", reject);
      tar.once("close", (code) =>
        code === 0
          ? resolve()
          : reject(
              new DockerError({ code: "DOCKER_BUILD_FAILED", detail: `tar exited with ${code}: ${stderr}` }),
            ),
      );
    });
    const { repo, tag } = splitTag(ref);
    const response = await docker.importImage(tar.stdout, {
      repo,
      tag,
      changes: [
        `USER ${IMAGE_USER}`,
        `ENV HOME=${IMAGE_HOME}`,
        "ENV LANG=C.UTF-8",
        `ENV PATH=${IMAGE_PATH}`,
        `WORKDIR ${CONTAINER_WORKSPACE}`,
        ...Object.entries(imageLabels(hash, claude, options)).map(
          ([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`,
        ),
        'CMD ["sleep", "infinity"]',
      ],
    } as Record<string, unknown>);
    await Promise.all([followProgress(docker, response, options.onLog), tarDone]);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
