import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDaemonImage } from "../setup/daemon-image.js";

const run = promisify(execFile);

/**
 * The daemon image run as docs/operating.md ("Running on a server") says for Docker agents: the
 * host's Docker socket mounted with its group added, the fleet mounted at the same path inside as
 * outside, the credential proxy's socket folder shared, `--network host`. The daemon in it fires a
 * Docker agent: claude runs in the runtime image, as uid 1000, against herdctl's built-in offline
 * stand-in on 127.0.0.1 (Anthropic is faked), writes a file through its Write tool, and the job's
 * output is recorded in the mounted state folder. The image comes from the shared fixture
 * (test/setup/daemon-image.ts; warm-images.ts starts its build when the suite starts).
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

beforeAll(async () => {
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
}, 900_000);

afterAll(async () => {
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
});

describe("the daemon image running Docker agents through the host's engine", () => {
  it("fires a Docker agent whose claude writes a file and whose output is recorded", async () => {
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
    expect(job).toMatchObject({ status: "completed", offline: true });
    expect(job.summary).toContain("the file is written");

    // claude ran in a container as uid 1000 and wrote into the mounted working directory.
    const written = join(fleet, "workspace", "boxed.txt");
    expect(readFileSync(written, "utf8")).toContain("hello from the agent's container");
    expect(statSync(written).uid).toBe(1000);

    // The output is recorded in the mounted state folder, where the host sees it.
    const jobs = join(fleet, ".herdctl", "jobs");
    const output = readdirSync(jobs).filter((name) => name.startsWith(job.id));
    expect(output.length, `no output file for ${job.id} in ${jobs}`).toBeGreaterThan(0);
    expect(output.map((name) => readFileSync(join(jobs, name), "utf8")).join("")).toContain(
      "the file is written",
    );

    // The daemon made the agent's container through the socket, from the runtime image (kept:
    // ephemeral: false), and the job names it.
    expect(job.containerId).toMatch(/^[0-9a-f]{12,}$/);
    const [inspected] = JSON.parse(await docker("container", "inspect", job.containerId)) as Array<{
      Config: { Image: string; User: string; Labels: Record<string, string> };
    }>;
    expect(inspected?.Config.Image).toBe("herdctl/runtime:latest");
    expect(inspected?.Config.User).toMatch(/^1000(:1000)?$/);
    expect(inspected?.Config.Labels["herdctl.fleet"]).toBe(FLEET);
  });
});
