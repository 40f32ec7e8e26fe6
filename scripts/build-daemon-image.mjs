/**
 * Builds docker/daemon.Dockerfile into herdctl/daemon:<version> (or the tag given), offline, in two
 * images: herdctl/daemon-deps:<hash> (docker/daemon-deps.Dockerfile: this machine's node binary and
 * the release lock's registry packages laid out with this clone's installed ones
 * (scripts/release/lay-out.mjs, so better-sqlite3 is the one built here), on the runtime image,
 * which `herdctl docker build --offline` makes), built only when those change; then the release
 * tarballs (scripts/pack.mjs) unpacked on it. Run `npm run build` first. Prints the tag, and how
 * long each step took on stderr.
 *
 *   node scripts/build-daemon-image.mjs [tag] [--base herdctl/runtime:latest]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { layOut } from "./release/lay-out.mjs";

const repo = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(join(repo, "packages/cli/package.json"), "utf8"));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { base: { type: "string", default: "herdctl/runtime:latest" } },
});
const tag = positionals[0] ?? `herdctl/daemon:${version}`;

const docker = (args) =>
  execFileSync("docker", args, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
const imageExists = (ref) =>
  spawnSync("docker", ["image", "inspect", "--format", "{{.Id}}", ref], { stdio: "ignore" }).status === 0;
if (!imageExists(values.base))
  throw new Error(
    `build-daemon-image: no ${values.base} image; run \`herdctl docker build --offline\` first`,
  );

const timings = [];
const step = async (name, work) => {
  const t0 = performance.now();
  await work();
  timings.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
};
const context = mkdtempSync(join(tmpdir(), "herdctl-daemon-image-"));
try {
  const release = join(context, "release");
  await step("pack", () =>
    execFileSync(process.execPath, [join(repo, "scripts/pack.mjs"), release], {
      stdio: ["ignore", "ignore", "inherit"],
    }),
  );
  const lock = JSON.parse(readFileSync(join(release, "package-lock.json"), "utf8"));
  const own = Object.entries(lock.packages).filter(
    ([path, entry]) => path && entry.resolved?.startsWith("file:"),
  );

  // The dependencies change only with the lock (or node, or the base): their image is reused.
  const baseId = docker(["image", "inspect", "--format", "{{.Id}}", values.base]).trim();
  const registry = Object.entries(lock.packages).filter(
    ([path, entry]) => path && !entry.resolved?.startsWith("file:"),
  );
  const depsHash = createHash("sha256")
    .update(JSON.stringify(registry))
    .update(process.version)
    .update(baseId)
    .update(readFileSync(join(repo, "docker/daemon-deps.Dockerfile")))
    .digest("hex")
    .slice(0, 16);
  const deps = `herdctl/daemon-deps:${depsHash}`;
  if (!imageExists(deps)) {
    const at = join(context, "deps");
    await step("lay out dependencies", () => layOut(repo, release, join(at, "herdctl")));
    for (const [path] of own) rmSync(join(at, "herdctl", path), { recursive: true, force: true });
    copyFileSync(process.execPath, join(at, "node"));
    copyFileSync(join(repo, "docker/daemon-deps.Dockerfile"), join(at, "Dockerfile"));
    await step("docker build (dependencies)", () =>
      docker(["build", "--network", "none", "--build-arg", `BASE=${values.base}`, "--tag", deps, at]),
    );
    rmSync(at, { recursive: true });
  }

  const at = join(context, "app");
  await step("unpack herdctl", async () => {
    for (const [path, entry] of own) {
      mkdirSync(join(at, "herdctl", path), { recursive: true });
      execFileSync("tar", [
        "-xzf",
        join(release, entry.resolved.slice("file:".length)),
        "-C",
        join(at, "herdctl", path),
        "--strip-components=1",
      ]);
    }
  });
  for (const file of ["package.json", "package-lock.json"])
    copyFileSync(join(release, file), join(at, "herdctl", file));
  mkdirSync(join(at, "fleet"));
  copyFileSync(join(repo, "docker/daemon.Dockerfile"), join(at, "Dockerfile"));
  await step("docker build", () =>
    docker(["build", "--network", "none", "--build-arg", `DEPS=${deps}`, "--tag", tag, at]),
  );
} finally {
  rmSync(context, { recursive: true, force: true });
}
console.log(tag);
console.error(timings.join(" · "));
