import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { withBuildLock } from "../../packages/core/src/docker/build-lock.js";
import { buildImage } from "../../packages/core/src/docker/image.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What goes into the daemon image besides its base: the built command, its lock, the recipe. */
const INPUTS = [
  "packages/cli/dist",
  "packages/cli/bin",
  "packages/cli/package.json",
  "package-lock.json",
  "docker/daemon.Dockerfile",
  "docker/daemon-deps.Dockerfile",
  "scripts/build-daemon-image.mjs",
  "scripts/pack.mjs",
  "scripts/release",
];
const REPOSITORY = "herdctl/daemon";
/** Images of this fixture older than this are someone's old sources: removed after a build. */
const OLD_IMAGE_MS = 24 * 60 * 60 * 1000;

/**
 * The daemon image (docker/daemon.Dockerfile) for the tests that run it, built by
 * scripts/build-daemon-image.mjs once per change of what goes into it: tagged
 * herdctl/daemon:test-<hash of the inputs, the base image and node>, so a file finds the image an
 * earlier run or warm-images.ts (in the background) built, and sources that differ never share
 * one. Needs `npm run build` and the runtime image (built here if missing, as the fixtures do).
 * A build takes about two minutes (bench/README.md).
 */
export async function ensureDaemonImage(): Promise<string> {
  await buildImage({ offline: true });
  const base = (await run("docker", ["image", "inspect", "--format", "{{.Id}}", "herdctl/runtime:latest"]))
    .stdout;
  const hash = createHash("sha256").update(base.trim()).update(process.version);
  for (const input of INPUTS) await hashTree(hash, input);
  const tag = `${REPOSITORY}:test-${hash.digest("hex").slice(0, 16)}`;
  if (await exists(tag)) return tag;
  // One build per tag across processes (warm-images.ts and the test files).
  return withBuildLock(join(tmpdir(), `herdctl-${tag.replace(/[/:]/g, "-")}.lock`), {}, async () => {
    if (await exists(tag)) return tag;
    const started = performance.now();
    const { stderr } = await run(process.execPath, [join(ROOT, "scripts/build-daemon-image.mjs"), tag], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    // What the build cost the run, in its log: the script's last line has each step's time.
    const steps = stderr.trim().split("\n").at(-1);
    console.error(`built ${tag} in ${((performance.now() - started) / 1000).toFixed(0)} s (${steps})`);
    await removeOldImages(tag);
    return tag;
  });
}

async function hashTree(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  const full = join(ROOT, path);
  if ((await stat(full)).isDirectory()) {
    for (const entry of (await readdir(full)).sort()) await hashTree(hash, join(path, entry));
    return;
  }
  hash
    .update(path)
    .update("\0")
    .update(await readFile(full))
    .update("\0");
}

function exists(tag: string): Promise<boolean> {
  return run("docker", ["image", "inspect", "--format", "{{.Id}}", tag]).then(
    () => true,
    () => false,
  );
}

async function removeOldImages(keep: string): Promise<void> {
  const { stdout } = await run("docker", [
    "image",
    "ls",
    REPOSITORY,
    "--format",
    "{{.Repository}}:{{.Tag}}\t{{.CreatedAt}}",
  ]);
  for (const line of stdout.trim().split("\n")) {
    const [tag, created] = line.split("\t");
    if (!tag?.startsWith(`${REPOSITORY}:test-`) || tag === keep || !created) continue;
    // "2026-12-02 02:45:10 +0000 UTC": the part Date can read.
    if (Date.now() - Date.parse(created.replace(/ [A-Z]+$/, "")) < OLD_IMAGE_MS) continue;
    // One a container still uses stays: docker refuses, and that is fine.
    await run("docker", ["image", "rm", tag]).catch(() => undefined);
  }
}
