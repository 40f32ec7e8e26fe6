/**
 * What a person waits for: whole `herdctl` processes, spawn → exit, against their floor measured
 * in the same run, alternating (baseline, ours, baseline, ours …; the first pair is a warm-up).
 *
 * - `--version`, `--help` against `node -e 0`.
 * - `status`, `jobs`, `job <id>` at 100,000 jobs, with no daemon and with one running, against
 *   `node -e 0` plus the query itself (the same work done in this process, timed in the same loop).
 * - `trigger <agent> -p hi --wait --fresh` for a CLI-runtime and an SDK-runtime agent, in-process
 *   and through a running daemon, against plain `claude -p hi` on the same loopback stand-in (the
 *   in-process rows with their floor in the same loop: `node -e` that only spawns `claude -p hi`,
 *   as bench/claude-floor.ts); and
 *   for a Docker agent (ephemeral container, network host) against `docker run … claude -p hi`
 *   with the same image, user, network, mounts and environment herdctl gives its container (its
 *   in-process row with its floor too: `node -e` that only spawns that `docker run`).
 *
 *   Through the daemon, the Docker agent is timed twice: with warm containers (the default) and
 *   with a daemon started with `--no-warm` (each job creates its container), in the same run.
 *
 *   npx vite-node bench/cli-startup.ts [--quick | --docker | --no-docker | --queries] [--in-process] [--before DIST/herdctl.cjs]
 *
 * `--docker`: the Docker rows only (in-process, daemon, daemon --no-warm); `--no-docker`: a full run
 * without them; `--queries`: the `status`, `jobs` and `job <id>` rows only, without and with a
 * daemon (what a change to their start-up moves); `--in-process`: only the triggers without a daemon
 * (with `--docker` the Docker one, with `--no-docker` the host ones). `--before FILE`: another build's CLI (e.g. a copy of packages/cli/dist made before a
 * change, kept beside it so that its packages resolve) is timed in the same loop as each command
 * row's baseline and ours, and reported in a row of its own: a before/after in one run, under the
 * same load.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CONTAINER_CLAUDE_DIR,
  CONTAINER_WORKSPACE,
  IMAGE_HOME,
} from "../packages/core/src/docker/runtime-image.js";
import {
  buildAgentStatus,
  ControlClient,
  type FleetStatus,
  loadFleet,
  StateManager,
} from "../packages/core/src/internal.js";
import {
  ensureRuntimeImage,
  removeFleetContainers,
} from "../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv, claudePath } from "../packages/core/test/helpers/claude-env.js";
import { startStandin, textReply } from "../packages/standin/src/index.js";
import { CLI, scratch, until, writeFleetFiles } from "../test/faults/helpers.js";
import { bulkInsertJobs, bulkJobId } from "./lib/bulk-jobs.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const beforeFlag = process.argv.indexOf("--before");
const beforeArg = beforeFlag === -1 ? undefined : process.argv[beforeFlag + 1];
// Commands run in the bench's scratch folder, so a relative path is taken from where it started.
const BEFORE_CLI = beforeArg === undefined ? undefined : resolve(beforeArg);
if (beforeFlag !== -1 && !beforeArg)
  throw new Error(
    "--before needs the path of another build's CLI entry (dist/herdctl.cjs, or dist/index.js before it)",
  );
/** Only the Docker trigger rows: what a change to the container path moves. */
const DOCKER_ONLY = process.argv.includes("--docker");
/** Only the status/jobs/job rows: no --version/--help, no triggers. */
const QUERIES_ONLY = process.argv.includes("--queries");
/** Only the in-process trigger rows (with --docker: the Docker one; with --no-docker: the host ones). */
const IN_PROCESS_ONLY = process.argv.includes("--in-process");
const RUNS = QUICK ? 2 : 9;
const TRIGGER_RUNS = QUICK ? 1 : 7;
const JOBS = 100_000;

const FLEET = "benchcli";
const IMAGE = "herdctl/runtime:latest";

const root = scratch("herdctl-bench-cli-startup-");
const standin = await startStandin({ responder: () => textReply("hello") });
const env: NodeJS.ProcessEnv = { ...process.env, ...claudeEnv(standin, root.dir), NO_COLOR: "1" };
// As in job-overhead.ts, quick runs leave Docker out (its first image build takes minutes);
// --no-docker leaves it out of a full run.
const withDocker = !QUICK && !QUERIES_ONLY && !process.argv.includes("--no-docker");
if (withDocker) {
  await ensureRuntimeImage();
  await removeFleetContainers(FLEET);
}
writeFleetFiles(
  root.dir,
  FLEET,
  { cli: "runtime: cli\n", sdk: "runtime: sdk\n", docker: "runtime: cli\ndocker: { enabled: true }\n" },
  // The network is the fleet's to grant; host reaches the stand-in on 127.0.0.1.
  "defaults:\n  docker: { network: host }\n",
);
const stateDir = join(root.dir, ".herdctl");
const schema = new StateManager(stateDir);
schema.open();
schema.close();
const fillMs = bulkInsertJobs(join(stateDir, "herdctl.db"), JOBS);
console.log(`cli-startup fill: ${JOBS} jobs in ${fmt(fillMs)}`);
const someJob = bulkJobId(JOBS / 2);

/** Spawn → exit of one process, in ms; a non-zero exit is an error carrying its stderr. */
function timeProcess(command: string, args: string[], cwd = root.dir): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`${command} ${args.join(" ")}: exit ${code}\n${err}`)),
    );
  });
}

const node0 = () => timeProcess(process.execPath, ["-e", "0"]);
const herdctlAt =
  (cli: string) =>
  (...args: string[]) =>
  () =>
    timeProcess(process.execPath, [cli, ...args]);
const herdctl = herdctlAt(CLI);
const plainClaude = () => timeProcess(claudePath, ["-p", "hi"], join(root.dir, "workspace"));
/**
 * The least a Node program can do to run a command (as bench/claude-floor.ts): spawn it and pipe
 * its output. `node -e FLOOR <command> <args…>`.
 */
const FLOOR = `const c = require("node:child_process").spawn(process.argv[1], process.argv.slice(2), { stdio: ["ignore", "pipe", "inherit"] });
c.stdout.pipe(process.stdout);
c.on("close", (code) => process.exit(code ?? 1));`;
const nodeClaude = () =>
  timeProcess(process.execPath, ["-e", FLOOR, claudePath, "-p", "hi"], join(root.dir, "workspace"));

// What herdctl's ephemeral container gets (container-manager.ts): uid 1000, the workspace and a
// claude config folder of its own mounted, the same environment, init, no capabilities.
const containerConfig = join(root.dir, "container-claude-config");
mkdirSync(containerConfig);
chownSync(containerConfig, 1000, 1000);
const DOCKER_RUN = [
  "run",
  "--rm",
  "--network",
  "host",
  "--user",
  "1000:1000",
  "--init",
  "--cap-drop",
  "ALL",
  "--security-opt",
  "no-new-privileges",
  "-v",
  `${join(root.dir, "workspace")}:${CONTAINER_WORKSPACE}:rw`,
  "-v",
  `${containerConfig}:${CONTAINER_CLAUDE_DIR}:rw`,
  "-w",
  CONTAINER_WORKSPACE,
  ...[
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
    "CLAUDE_CODE_MAX_RETRIES",
  ].flatMap((name) => ["-e", `${name}=${env[name]}`]),
  "-e",
  `HOME=${IMAGE_HOME}`,
  "-e",
  `CLAUDE_CONFIG_DIR=${CONTAINER_CLAUDE_DIR}`,
  IMAGE,
  "claude",
  "-p",
  "hi",
];
const plainDocker = () => timeProcess("docker", DOCKER_RUN);
/** The Docker rows' floor: a Node program that only runs that `docker run` (the Node CLI's share of them). */
const nodeDocker = () => timeProcess(process.execPath, ["-e", FLOOR, "docker", ...DOCKER_RUN]);

/** The same work a command's query does, in this process: what no start-up trimming can remove. */
async function timeQuery(work: () => unknown): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

function withState<T>(use: (state: StateManager) => T): T {
  const state = new StateManager(stateDir, { verify: "header" });
  state.open();
  try {
    return use(state);
  } finally {
    state.close();
  }
}

const queries = {
  jobs: () => withState((s) => s.jobs.list({ limit: 20 })),
  job: () => withState((s) => s.jobs.get(someJob)),
  statusNoDaemon: async () => {
    const fleet = await loadFleet(join(root.dir, "herdctl.yaml"));
    withState((s) => fleet.agents.map((a) => buildAgentStatus(a, s)));
  },
  statusDaemon: async () => {
    const client = await ControlClient.connect(new StateManager(stateDir).socketPath);
    if (!client) throw new Error("the daemon stopped answering");
    await client.call<FleetStatus>("GET", "/api/status");
  },
};

interface Row {
  name: string;
  baseline: string;
  base: number;
  ours: number;
  factor: number;
  target: string;
}
const rows: Row[] = [];

/** Each of `arms` once a round, in order, `runs` rounds after a warm-up round; medians, in order. */
async function rounds(runs: number, arms: Array<() => Promise<number>>): Promise<number[]> {
  const samples: number[][] = arms.map(() => []);
  for (let i = 0; i <= runs; i++) {
    for (const [a, arm] of arms.entries()) {
      const ms = await arm();
      if (i > 0) samples[a]!.push(ms);
    }
  }
  return samples.map(median);
}

/**
 * A command row: `base` and ours alternating, and with --before the other build's CLI in the same
 * rounds, reported as a row of its own (informational: its ratio is what the change moved).
 */
async function commandRow(
  name: string,
  args: string[],
  baseline: string,
  base: () => Promise<number>,
  target: string,
): Promise<void> {
  const arms = [base, herdctl(...args)];
  if (BEFORE_CLI) arms.push(herdctlAt(BEFORE_CLI)(...args));
  const [b, ours, before] = await rounds(RUNS, arms);
  if (before !== undefined) beforeRow(name, baseline, b!, before);
  rows.push({ name, baseline, base: b!, ours: ours!, factor: 1.5, target });
}

async function againstNode(name: string, args: string[]): Promise<void> {
  await commandRow(name, args, "node -e 0", node0, "≤ 1.5×");
}

/** Baseline: `node -e 0` then the query in-process, one sample each per round. */
async function againstNodeAndQuery(name: string, args: string[], query: () => unknown): Promise<void> {
  await commandRow(
    name,
    args,
    "node -e 0 + query",
    async () => (await node0()) + (await timeQuery(query)),
    "≤ 1.5× (150 ms quiet)",
  );
}

/**
 * Through the daemon, the job's end starts the agent's next claude (a warm claude): triggers a person
 * makes are seconds apart, so each sample starts after it has settled instead of racing its start-up.
 */
const SETTLE_MS = 5_000;
const settled = (run: () => Promise<number>) => async () => {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return run();
};

/**
 * --before's build triggering `agent`. Through a daemon, the daemon is this build's: the before arm
 * then times the client's side of a daemon trigger (its start-up and request) against ours.
 */
function beforeTrigger(agent: string): (() => Promise<number>) | undefined {
  return BEFORE_CLI ? herdctlAt(BEFORE_CLI)("trigger", agent, "-p", "hi", "--wait", "--fresh") : undefined;
}

/** The row of --before's build, timed in the same rounds as `name`'s. */
function beforeRow(name: string, baseline: string, base: number, ms: number, note = ""): void {
  rows.push({
    name: `${name} (before: ${BEFORE_CLI})`,
    baseline,
    base,
    ours: ms,
    factor: Number.POSITIVE_INFINITY,
    target: `informational, same loop${note}`,
  });
}

async function triggers(where: string, settle = false, only?: "docker"): Promise<void> {
  const agents = [
    {
      agent: "cli",
      name: "cli-runtime agent",
      baseline: "claude -p hi",
      base: plainClaude,
      floor: nodeClaude,
    },
    {
      agent: "sdk",
      name: "sdk-runtime agent",
      baseline: "claude -p hi",
      base: plainClaude,
      floor: nodeClaude,
    },
    {
      agent: "docker",
      name: "Docker agent (ephemeral)",
      baseline: "docker run … claude -p hi",
      base: plainDocker,
      floor: nodeDocker,
    },
  ];
  const chosen = only ? agents.filter((a) => a.agent === only) : withDocker ? agents : agents.slice(0, 2);
  for (const { agent, name, baseline, base: run, floor: nodeRun } of chosen) {
    const trigger = herdctl("trigger", agent, "-p", "hi", "--wait", "--fresh");
    if (!settle) {
      // In-process, the floor too: any Node program that starts claude (or docker run) pays Node's
      // start-up; and --before's build in the same rounds.
      // A Docker arm leaves the engine removing its container after it exits (herdctl's detached
      // removal, docker run's --rm): each Docker sample starts once that has settled, so that no
      // arm pays for the one before it.
      const before = beforeTrigger(agent);
      const arm = agent === "docker" ? settled : (f: () => Promise<number>) => f;
      const [base, floor, ours, beforeMs] = await rounds(TRIGGER_RUNS, [
        arm(run),
        arm(nodeRun),
        arm(trigger),
        ...(before ? [arm(before)] : []),
      ]);
      rows.push({
        name: `node spawning ${baseline} (the floor, in the ${agent} row's loop)`,
        baseline,
        base: base!,
        ours: floor!,
        factor: 1.1,
        target: "informational: ≤ 1.10× is possible only above it",
      });
      if (beforeMs !== undefined)
        beforeRow(
          `trigger ${name} --wait, ${where}`,
          baseline,
          base!,
          beforeMs,
          ` (${fmt(beforeMs - floor!)} over the floor)`,
        );
      rows.push({
        name: `trigger ${name} --wait, ${where}`,
        baseline,
        base: base!,
        ours: ours!,
        factor: 1.1,
        target: `≤ 1.10× (${fmt(ours! - floor!)} over the floor)`,
      });
      continue;
    }
    // Through a daemon (ours runs the daemon; --before's build is only the client asking it).
    const before = beforeTrigger(agent);
    const [base, ours, beforeMs] = await rounds(TRIGGER_RUNS, [
      settled(run),
      settled(trigger),
      ...(before ? [settled(before)] : []),
    ]);
    if (beforeMs !== undefined) beforeRow(`trigger ${name} --wait, ${where}`, baseline, base!, beforeMs);
    rows.push({
      name: `trigger ${name} --wait, ${where}`,
      baseline,
      base: base!,
      ours: ours!,
      factor: 1.1,
      target: "≤ 1.10×",
    });
  }
}

async function startDaemon(...flags: string[]): Promise<ChildProcess> {
  const daemon = spawn(process.execPath, [CLI, "start", ...flags], {
    cwd: root.dir,
    env,
    stdio: "ignore",
  });
  const socket = new StateManager(stateDir).socketPath;
  await until(async () => ((await ControlClient.connect(socket)) ? true : undefined), 60_000);
  return daemon;
}

async function stopDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null) return;
  const exited = new Promise((r) => daemon.once("exit", r));
  daemon.kill("SIGINT");
  await exited;
}

let daemon: ChildProcess | undefined;
/** Thrown by --in-process once its rows are timed: the rest of the run is skipped. */
const DONE = Symbol("done");
try {
  if (!DOCKER_ONLY && !QUERIES_ONLY && !IN_PROCESS_ONLY) {
    await againstNode("herdctl --version", ["--version"]);
    await againstNode("herdctl --help", ["--help"]);
  }
  if (!DOCKER_ONLY && !IN_PROCESS_ONLY) {
    await againstNodeAndQuery(`herdctl status @${JOBS} jobs, no daemon`, ["status"], queries.statusNoDaemon);
    await againstNodeAndQuery(`herdctl jobs @${JOBS} jobs, no daemon`, ["jobs"], queries.jobs);
    await againstNodeAndQuery(`herdctl job <id> @${JOBS} jobs, no daemon`, ["job", someJob], queries.job);
  }
  if (!QUERIES_ONLY) await triggers("in-process (no daemon)", false, DOCKER_ONLY ? "docker" : undefined);
  if (IN_PROCESS_ONLY) throw DONE;
  daemon = await startDaemon();
  if (!DOCKER_ONLY) {
    await againstNodeAndQuery(
      `herdctl status @${JOBS} jobs, daemon running`,
      ["status"],
      queries.statusDaemon,
    );
    await againstNodeAndQuery(`herdctl jobs @${JOBS} jobs, daemon running`, ["jobs"], queries.jobs);
    await againstNodeAndQuery(
      `herdctl job <id> @${JOBS} jobs, daemon running`,
      ["job", someJob],
      queries.job,
    );
  }
  if (!QUERIES_ONLY) await triggers("through the daemon", true, DOCKER_ONLY ? "docker" : undefined);
  if (withDocker) {
    // The same daemon path with each job creating its container: what warm containers save.
    await stopDaemon(daemon);
    daemon = await startDaemon("--no-warm");
    await triggers("through the daemon --no-warm", true, "docker");
  }
} catch (error) {
  if (error !== DONE) throw error;
} finally {
  if (daemon) await stopDaemon(daemon);
  if (withDocker) await removeFleetContainers(FLEET);
  await standin.close();
  root.cleanup();
}

for (const r of rows) {
  const ratio = r.ours / r.base;
  figure(
    `cli-startup ${r.name}`,
    `${r.baseline} ${fmt(r.base)}`,
    fmt(r.ours),
    ratio,
    r.target,
    ratio <= r.factor,
  );
}
console.log(
  `cli-startup: whole processes, medians of ${RUNS} (commands) / ${TRIGGER_RUNS} (triggers) alternating runs after one warm-up pair`,
);
finish();
