import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureDaemonImage } from "../test/setup/daemon-image.js";
import { figure, finish } from "./lib/report.js";

const run = promisify(execFile);

/**
 * Not in `npm test`: on a fresh machine the image costs minutes to build (bench/README.md), which
 * the suite's 15 minutes cannot hold. Exits 1 when any check fails.
 *
 *   npx vite-node bench/daemon-container.ts
 *
 * The daemon image run as docs/operating.md ("Running on a server") says for Docker agents: the
 * host's Docker socket mounted with its group added, the fleet mounted at the same path inside as
 * outside, the credential proxy's socket folder shared, `--network host`. The daemon in it fires a
 * Docker agent: claude runs in the runtime image, as uid 1000, against herdctl's built-in offline
 * stand-in on 127.0.0.1 (Anthropic is faked), writes a file through its Write tool, and the job's
 * output is recorded in the mounted state folder. The image comes from the tests' fixture
 * (test/setup/daemon-image.ts), which builds it when its inputs changed.
 */

const CONTAINER = `herdctl-daemon-agents-${process.pid}`;
const FLEET = `daemon-agents-${process.pid}`;
/** The credential proxy's folder for uid 1000 (the image's user), shared with the host's engine. */
const PROXY_DIR = join(tmpdir(), "herdctl-proxy-1000");
let image: string;
let fleet: string;
let port: number;

const docker = async (...args: string[]) =>
  (await run("docker", args, { maxBuffer: 16 * 1024 * 1024 })).stdout;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function chownTree(path: string): void {
  chownSync(path, 1000, 1000);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry));
}

async function startDaemon(): Promise<void> {
  image = await ensureDaemonImage();
  fleet = await mkdtemp(join(tmpdir(), "herdctl-daemon-agents-"));
  mkdirSync(join(fleet, "agents"));
  mkdirSync(join(fleet, "workspace"));
  writeFileSync(
    join(fleet, "herdctl.yaml"),
    `version: 1\nfleet: { name: ${FLEET} }\ndefaults:\n  runtime: cli\n  docker: { network: host }\nagents:\n  - path: ./agents/boxer.yaml\n`,
  );
  writeFileSync(
    join(fleet, "agents", "boxer.yaml"),
    "name: boxer\nworking_directory: ../workspace\npermission_mode: acceptEdits\ndocker: { enabled: true, ephemeral: false }\n",
  );
  // The image's user is uid 1000: the fleet is its, and so is the proxy's folder (private).
  chownTree(fleet);
  mkdirSync(PROXY_DIR, { recursive: true, mode: 0o700 });
  chownSync(PROXY_DIR, 1000, 1000);

  port = await freePort();
  const socketGroup = String(statSync("/var/run/docker.sock").gid);
  await docker(
    "run",
    "-d",
    "--name",
    CONTAINER,
    "--network",
    "host",
    "-v",
    "/var/run/docker.sock:/var/run/docker.sock",
    "--group-add",
    socketGroup,
    "-v",
    `${fleet}:${fleet}`,
    "-w",
    fleet,
    "-v",
    `${PROXY_DIR}:${PROXY_DIR}`,
    image,
    "start",
    "--offline",
    "--web",
    "--web-host",
    "127.0.0.1",
    "--web-port",
    String(port),
  );
  await until(
    () =>
      fetch(`http://127.0.0.1:${port}/api/health`).then(
        async (r) => (r.ok ? await r.json() : undefined),
        () => undefined,
      ),
    "the daemon's /api/health",
  );
}

async function cleanUp(): Promise<void> {
  spawnSync("docker", ["rm", "-f", CONTAINER], { stdio: "ignore" });
  // The agent's containers, found by the fleet label herdctl gives them.
  const ids = spawnSync("docker", ["ps", "-aq", "--filter", `label=herdctl.fleet=${FLEET}`], {
    encoding: "utf8",
  })
    .stdout.trim()
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) spawnSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
  if (fleet) await rm(fleet, { recursive: true, force: true });
  // The proxy keeps a folder per state directory (named by its hash) for the next daemon's containers.
  if (fleet) {
    const stateKey = createHash("sha256").update(join(fleet, ".herdctl")).digest("hex").slice(0, 16);
    await rm(join(PROXY_DIR, stateKey), { recursive: true, force: true });
  }
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`daemon-container: ${what}`);
}

async function fireDockerAgent(): Promise<void> {
  {
    const trigger = await docker(
      "exec",
      CONTAINER,
      "herdctl",
      "--json",
      "trigger",
      "boxer",
      "--wait",
      "-p",
      "@standin write boxed.txt hello from the agent's container\n@standin text the file is written",
    );
    const job = JSON.parse(trigger) as {
      id: string;
      status: string;
      offline: boolean;
      summary: string;
      containerId: string;
    };
    check(job.status === "completed" && job.offline, `the job ended ${job.status}`);
    check(job.summary.includes("the file is written"), `the summary is ${job.summary}`);

    // claude ran in a container as uid 1000 and wrote into the mounted working directory.
    const written = join(fleet, "workspace", "boxed.txt");
    check(
      readFileSync(written, "utf8").includes("hello from the agent's container"),
      "boxed.txt holds the text",
    );
    check(statSync(written).uid === 1000, "boxed.txt is uid 1000's");

    // The output is recorded in the mounted state folder, where the host sees it.
    const jobs = join(fleet, ".herdctl", "jobs");
    const output = readdirSync(jobs).filter((name) => name.startsWith(job.id));
    check(output.length > 0, `no output file for ${job.id} in ${jobs}`);
    check(
      output
        .map((name) => readFileSync(join(jobs, name), "utf8"))
        .join("")
        .includes("the file is written"),
      "the output holds the reply",
    );

    // The daemon made the agent's container through the socket, from the runtime image (kept:
    // ephemeral: false), and the job names it.
    check(/^[0-9a-f]{12,}$/.test(job.containerId), `container id ${job.containerId}`);
    const [inspected] = JSON.parse(await docker("container", "inspect", job.containerId)) as Array<{
      Config: { Image: string; User: string; Labels: Record<string, string> };
    }>;
    check(inspected?.Config.Image === "herdctl/runtime:latest", `image ${inspected?.Config.Image}`);
    check(/^1000(:1000)?$/.test(inspected?.Config.User ?? ""), `user ${inspected?.Config.User}`);
    check(inspected?.Config.Labels["herdctl.fleet"] === FLEET, "the fleet label");
  }
}

const t0 = performance.now();
try {
  await startDaemon();
  const started = performance.now();
  await fireDockerAgent();
  figure(
    "daemon image: a Docker agent fired through the host's engine, trigger → completed",
    undefined,
    `${((performance.now() - started) / 1000).toFixed(1)} s (image ready and daemon healthy after ${((started - t0) / 1000).toFixed(1)} s)`,
    undefined,
    "completes, checks hold",
    true,
  );
} finally {
  await cleanUp();
}
finish();
