/**
 * Builds docker/daemon.Dockerfile into herdctl/daemon:<version> (or the tag given), offline: the
 * release tarballs (scripts/pack.mjs), laid out from their lock with this clone's installed
 * packages (scripts/release/lay-out.mjs, so better-sqlite3 is the one `npm ci` built here), this
 * machine's node binary, on the runtime image (`herdctl docker build --offline` makes it). Run
 * `npm run build` first. Prints the tag and how long each step took.
 *
 *   node scripts/build-daemon-image.mjs [tag] [--base herdctl/runtime:latest]
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
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
try {
  docker(["image", "inspect", "--format", "{{.Id}}", values.base]);
} catch {
  throw new Error(
    `build-daemon-image: no ${values.base} image; run \`herdctl docker build --offline\` first`,
  );
}

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
  await step("lay out", () => layOut(repo, release, join(context, "herdctl")));
  // herdctl's own packages and the release's manifest and lock change with every build; the
  // registry packages (a gigabyte, mostly claude's binaries) only with the lock. Apart, they are
  // two layers, and a rebuild reuses the big one from Docker's cache.
  mkdirSync(join(context, "app", "node_modules"), { recursive: true });
  for (const own of ["herdctl", "@herdctl"])
    renameSync(join(context, "herdctl", "node_modules", own), join(context, "app", "node_modules", own));
  for (const file of ["package.json", "package-lock.json"])
    copyFileSync(join(release, file), join(context, "app", file));
  rmSync(release, { recursive: true });
  copyFileSync(process.execPath, join(context, "node"));
  mkdirSync(join(context, "fleet"));
  copyFileSync(join(repo, "docker/daemon.Dockerfile"), join(context, "Dockerfile"));
  await step("docker build", () =>
    docker(["build", "--network", "none", "--build-arg", `BASE=${values.base}`, "--tag", tag, context]),
  );
} finally {
  rmSync(context, { recursive: true, force: true });
}
console.log(tag);
console.error(timings.join(" · "));
