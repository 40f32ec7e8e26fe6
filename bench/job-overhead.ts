/**
 * Job overhead: trigger → first model request and trigger → job completed, per runtime, against
 * running the same prompt with plain `claude -p` (host), `docker run` (ephemeral) and `docker exec`
 * into a running container (persistent). Runs interleave, first run of each discarded; medians.
 *
 *   npx vite-node bench/job-overhead.ts [--quick]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { FleetManager } from "../packages/core/src/index.js";
import {
  ensureRuntimeImage,
  removeFleetContainers,
} from "../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv, claudePath } from "../packages/core/test/helpers/claude-env.js";
import { startStandin, textReply } from "../packages/standin/src/index.js";
import { scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const ITERATIONS = QUICK ? 2 : 7;
const FLEET = "benchoverhead";
const IMAGE = "herdctl/runtime:latest";
const PROMPT = "Say hello.";
const ARGS = ["-p", "--output-format", "stream-json", "--verbose"];

const root = scratch("herdctl-bench-overhead-");
const standin = await startStandin({ responder: () => textReply("hello") });
const env = claudeEnv(standin, root.dir);
const withDocker = !QUICK;
if (withDocker) {
  await ensureRuntimeImage();
  await removeFleetContainers(FLEET);
}
writeFleetFiles(
  root.dir,
  FLEET,
  {
    sdk: "runtime: sdk\n",
    cli: "runtime: cli\n",
    ...(withDocker
      ? {
          eph: "runtime: cli\ndocker: { enabled: true }\n",
          pers: "runtime: cli\ndocker: { enabled: true, ephemeral: false }\n",
        }
      : {}),
  },
  "defaults:\n  docker: { network: host }\n",
);
const fleet = new FleetManager({ config: root.dir, env, watchConfig: false });
await fleet.start();

interface Sample {
  firstMs: number;
  doneMs: number;
}

/** Time from `t0` to the first conversation request the stand-in received after `seen`. */
function firstRequestAfter(seen: number, t0: number): number {
  const req = standin.mainRequests.slice(seen)[0];
  if (!req) throw new Error("the run made no model request");
  return req.receivedAt - t0;
}

async function ours(agent: string): Promise<Sample> {
  const seen = standin.mainRequests.length;
  const t0 = Date.now();
  const job = await fleet.wait(fleet.trigger(agent, { prompt: PROMPT, fresh: true }).id);
  const doneMs = Date.now() - t0;
  if (job.status !== "completed")
    throw new Error(`${agent}: job ${job.id} ended ${job.status}: ${job.error}`);
  return { firstMs: firstRequestAfter(seen, t0), doneMs };
}

function plain(command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Sample> {
  const seen = standin.mainRequests.length;
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: join(root.dir, "workspace"),
      env: { ...process.env, ...env, ...extraEnv },
      stdio: ["pipe", "ignore", "inherit"],
    });
    child.stdin.end(PROMPT);
    child.on("error", reject);
    child.on("close", (code) => {
      const doneMs = Date.now() - t0;
      if (code !== 0) reject(new Error(`${command} exited ${code}`));
      else resolve({ firstMs: firstRequestAfter(seen, t0), doneMs });
    });
  });
}

const dockerEnv = Object.entries(env)
  .filter(([k]) => k !== "CLAUDE_CONFIG_DIR")
  .flatMap(([k, v]) => ["-e", `${k}=${v}`]);
const hostClaude = () => plain(claudePath, ARGS);
const dockerRun = () =>
  plain("docker", ["run", "--rm", "-i", "--network", "host", ...dockerEnv, IMAGE, "claude", ...ARGS]);
let execContainer = "";
const dockerExec = () => plain("docker", ["exec", "-i", ...dockerEnv, execContainer, "claude", ...ARGS]);

async function compare(name: string, base: () => Promise<Sample>, run: () => Promise<Sample>) {
  const b: Sample[] = [];
  const o: Sample[] = [];
  for (let i = 0; i <= ITERATIONS; i++) {
    const bs = await base();
    const os = await run();
    if (i === 0) continue; // warm-up: caches, claude's first-run files, a persistent container's creation
    b.push(bs);
    o.push(os);
  }
  return {
    name,
    first: [median(b.map((s) => s.firstMs)), median(o.map((s) => s.firstMs))] as const,
    done: [median(b.map((s) => s.doneMs)), median(o.map((s) => s.doneMs))] as const,
  };
}

type Check = (base: number, ours: number) => boolean;
const hostTarget: Check = (b, o) => o <= b * 1.05 || o - b <= 50;
const ephTarget: Check = (b, o) => o <= b * 1.1;
const persTarget: Check = (b, o) => o <= b * 1.1 || o - b <= 100;

const results: Array<[Awaited<ReturnType<typeof compare>>, Check, string]> = [];
try {
  results.push([
    await compare("sdk runtime vs claude -p", hostClaude, () => ours("sdk")),
    hostTarget,
    "≤ +5% or +50 ms",
  ]);
  results.push([
    await compare("cli runtime vs claude -p", hostClaude, () => ours("cli")),
    hostTarget,
    "≤ +5% or +50 ms",
  ]);
  if (withDocker) {
    results.push([
      await compare("docker ephemeral vs docker run", dockerRun, () => ours("eph")),
      ephTarget,
      "≤ +10%",
    ]);
    const started = await new Promise<string>((resolve, reject) => {
      const c = spawn("docker", [
        "run",
        "-d",
        "--rm",
        "--network",
        "host",
        "--label",
        `herdctl.fleet=${FLEET}`,
        IMAGE,
        "sleep",
        "infinity",
      ]);
      let out = "";
      c.stdout.on("data", (d) => (out += d));
      c.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error("docker run -d failed"))));
    });
    execContainer = started;
    results.push([
      await compare("docker persistent vs docker exec", dockerExec, () => ours("pers")),
      persTarget,
      "≤ +10% or +100 ms",
    ]);
  }
} finally {
  await fleet.stop({ timeoutMs: 5_000 });
  await standin.close();
  if (withDocker) await removeFleetContainers(FLEET);
  root.cleanup();
}

for (const [r, check, target] of results) {
  for (const [what, [b, o]] of [
    ["trigger→first request", r.first],
    ["trigger→completed", r.done],
  ] as const) {
    figure(`job-overhead ${r.name} ${what}`, fmt(b), fmt(o), o / b, target, check(b, o));
  }
}
console.log(
  `job-overhead: medians of ${ITERATIONS} runs each, after one warm-up${withDocker ? "" : "; Docker skipped in quick mode"}`,
);
finish();
