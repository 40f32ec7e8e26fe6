/**
 * The daemon image (docker/daemon.Dockerfile), built and run: `scripts/build-daemon-image.mjs`
 * timed whole, then inside the image with `--network host` (loopback only): `herdctl --version`,
 * `init fleet --yes` into a mounted folder, `start --offline --web` until `/api/health` answers
 * (timed: container start to healthy), and one trigger through `docker exec` answered by the
 * built-in stand-in. One run: the build takes minutes. Not part of `npm run bench` (run it alone).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { figure, finish, fmt } from "./lib/report.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TAG = "herdctl/daemon:bench";
const CONTAINER = `herdctl-daemon-bench-${process.pid}`;
const fleet = mkdtempSync(join(tmpdir(), "herdctl-bench-daemon-"));
const seconds = (ms: number) => fmt(ms / 1000, "s");
const quiet = (command: string, args: string[]) =>
  execFileSync(command, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const inImage = (...args: string[]) =>
  quiet("docker", ["run", "--rm", "--network", "host", "-v", `${fleet}:/fleet`, TAG, ...args]);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

try {
  let t0 = performance.now();
  quiet(process.execPath, [join(ROOT, "scripts/build-daemon-image.mjs"), TAG]);
  const build = performance.now() - t0;
  const version = inImage("--version").split("\n")[0];
  figure(
    `scripts/build-daemon-image.mjs (${version} inside)`,
    undefined,
    seconds(build),
    undefined,
    "reported",
    version === "herdctl 0.1.0",
  );

  // The image's user is uid 1000; the mounted folder must be its.
  chownSync(fleet, 1000, 1000);
  inImage("init", "fleet", "--yes", "--name", "boxed");
  const port = await freePort();
  t0 = performance.now();
  quiet(
    "docker",
    ["run", "-d", "--name", CONTAINER, "--network", "host", "-v", `${fleet}:/fleet`, TAG].concat([
      "start",
      "--offline",
      "--web",
      "--web-host",
      "127.0.0.1",
      "--web-port",
      String(port),
    ]),
  );
  let healthy = false;
  while (!healthy && performance.now() - t0 < 120_000) {
    healthy = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const started = performance.now() - t0;
  const job = JSON.parse(
    quiet("docker", [
      "exec",
      CONTAINER,
      "herdctl",
      "--json",
      "trigger",
      "assistant",
      "--wait",
      "-p",
      "boxed",
    ]),
  ) as {
    status: string;
    offline: boolean;
  };
  const ok = healthy && job.status === "completed" && job.offline && existsSync(join(fleet, ".herdctl"));
  figure(
    "daemon container: docker run → /api/health answers; a trigger completes offline",
    undefined,
    seconds(started),
    undefined,
    "reported",
    ok,
  );
} finally {
  // Either may not exist when an earlier step failed: spawnSync reports rather than throws.
  spawnSync("docker", ["rm", "-f", CONTAINER], { stdio: "ignore" });
  spawnSync("docker", ["image", "rm", TAG], { stdio: "ignore" });
  // The container wrote the fleet as uid 1000; root (this bench) removes it.
  rmSync(fleet, { recursive: true, force: true });
}
finish();
