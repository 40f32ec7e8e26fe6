/**
 * What following a job costs the daemon: its own process's CPU (user + system, from /proc) over
 * jobs of many output lines, each triggered with `--wait` through it (so one follower streams every
 * line). The daemon is started `--no-warm`, so its CPU is the jobs' and nothing ahead of them.
 * With `--before DIST/herdctl.cjs`, another build's daemon runs the same jobs in alternating rounds,
 * as the baseline; without it the figure has none and only reports.
 *
 *   npx vite-node bench/daemon-follow-cpu.ts [--quick] [--before DIST/herdctl.cjs]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { claudeEnv } from "../packages/core/test/helpers/claude-env.js";
import { bash, startStandin, textReply } from "../packages/standin/src/index.js";
import { CLI, scratch, until, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const beforeFlag = process.argv.indexOf("--before");
const BEFORE = beforeFlag === -1 ? undefined : resolve(process.argv[beforeFlag + 1] ?? "");
if (BEFORE !== undefined && !existsSync(BEFORE))
  throw new Error(`--before needs another build's dist/herdctl.cjs; ${BEFORE} does not exist`);
// Under the stand-in's 25-turn limit per conversation.
const TURNS = 20;
const JOBS = QUICK ? 2 : 8;
const ROUNDS = QUICK ? 1 : 3;

const root = scratch("herdctl-bench-follow-cpu-");
const standin = await startStandin({
  responder: (_req, ctx) =>
    ctx.assistantTurns < TURNS ? bash(`echo ${ctx.assistantTurns}`) : textReply("done"),
});
const env: NodeJS.ProcessEnv = { ...process.env, ...claudeEnv(standin, root.dir), NO_COLOR: "1" };
writeFleetFiles(root.dir, "benchfollow", {
  worker: "runtime: cli\npermission_mode: acceptEdits\nallowed_tools: [Bash]\n",
});
const socket = join(root.dir, ".herdctl", "herdctl.sock");

/** CPU time of a process so far, in ms (utime + stime, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function triggerOnce(cli: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, "trigger", "worker", "--wait", "--fresh", "-p", "go"], {
      cwd: root.dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, output }));
  });
}

/** The daemon of `cli`'s build: its CPU per job over JOBS jobs of TURNS turns each. */
async function perJob(cli: string): Promise<number> {
  const daemon: ChildProcess = spawn(process.execPath, [cli, "start", "--no-warm"], {
    cwd: root.dir,
    env,
    stdio: "ignore",
  });
  try {
    await until(() => (existsSync(socket) ? true : undefined), 60_000);
    const pid = daemon.pid as number;
    const before = cpuMs(pid);
    for (let i = 0; i < JOBS; i++) {
      // Not spawnSync: the stand-in answers from this process's event loop.
      const run = await triggerOnce(cli);
      if (run.code !== 0) throw new Error(`trigger failed (exit ${run.code}): ${run.output.slice(-1500)}`);
    }
    return (cpuMs(pid) - before) / JOBS;
  } finally {
    const exited = new Promise((r) => daemon.once("exit", r));
    daemon.kill("SIGINT");
    await exited;
  }
}

try {
  const ours: number[] = [];
  const before: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (BEFORE) before.push(await perJob(BEFORE));
    ours.push(await perJob(CLI));
  }
  const o = median(ours);
  const b = BEFORE ? median(before) : undefined;
  figure(
    `daemon-follow-cpu daemon CPU per job of ${TURNS} turns, followed by trigger --wait (medians of ${ROUNDS} rounds of ${JOBS} jobs)`,
    b === undefined ? undefined : `${fmt(b)} (${BEFORE})`,
    fmt(o),
    b === undefined ? undefined : o / b,
    "informational",
    true,
  );
} finally {
  await standin.close();
  root.cleanup();
}
finish();
