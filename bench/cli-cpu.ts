/**
 * CPU time (user + system) of whole `herdctl status`, `jobs` and `job <id>` processes at 100,000
 * jobs, no daemon, against `node -e 0`: on a shared machine wall time moves with the load, the CPU
 * a process spends much less, so this shows what a start-up change saves when cli-startup.ts's
 * wall times cannot. Each process runs under GNU time (`/usr/bin/time -f "%U %S"`, 10 ms steps,
 * so the mean of many runs is reported beside the median), arms alternating, after one warm-up
 * round.
 *
 *   npx vite-node bench/cli-cpu.ts [--quick] [--runs N] [--before DIST/index.js]
 *
 * `--before FILE`: another build's CLI (a copy of packages/cli/dist kept beside it, as for
 * cli-startup.ts) in the same rounds, for a before/after under the same load.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { StateManager } from "../packages/core/src/internal.js";
import { CLI, scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { bulkInsertJobs, bulkJobId } from "./lib/bulk-jobs.js";
import { fmt, median, QUICK } from "./lib/report.js";

const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const BEFORE = flag("--before") === undefined ? undefined : resolve(flag("--before") as string);
const RUNS = QUICK ? 3 : Number(flag("--runs") ?? 20);
const JOBS = 100_000;

const root = scratch("herdctl-bench-cli-cpu-");
writeFleetFiles(root.dir, "benchcpu", { cli: "runtime: cli\n", sdk: "runtime: sdk\n" });
const stateDir = join(root.dir, ".herdctl");
const schema = new StateManager(stateDir);
schema.open();
schema.close();
bulkInsertJobs(join(stateDir, "herdctl.db"), JOBS);
const someJob = bulkJobId(JOBS / 2);
const times = join(root.dir, "time.txt");

/** user + system CPU ms and wall ms of one process, from GNU time. */
function cpuOf(args: string[]): Promise<{ cpu: number; wall: number }> {
  return new Promise((done, fail) => {
    const child = spawn("/usr/bin/time", ["-o", times, "-f", "%U %S %e", process.execPath, ...args], {
      cwd: root.dir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", fail);
    child.on("close", (code) => {
      if (code !== 0) return fail(new Error(`node ${args.join(" ")}: exit ${code}\n${err}`));
      const [user, sys, wall] = readFileSync(times, "utf8").trim().split(/\s+/).map(Number) as number[];
      done({ cpu: 1000 * (user! + sys!), wall: 1000 * wall! });
    });
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  console.log(`cli-cpu: ${JOBS} jobs, ${RUNS} runs per arm, load ${load()} at start`);
  for (const args of [["status"], ["jobs"], ["job", someJob]]) {
    const arms: Array<[string, string[]]> = [
      ["node -e 0", ["-e", "0"]],
      ...(BEFORE ? [[`before (${BEFORE})`, [BEFORE, ...args]] as [string, string[]]] : []),
      ["ours", [CLI, ...args]],
    ];
    const samples = arms.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
    for (let round = 0; round <= RUNS; round++)
      for (const [i, [, armArgs]] of arms.entries()) {
        const { cpu, wall } = await cpuOf(armArgs);
        if (round === 0) continue;
        samples[i]!.cpu.push(cpu);
        samples[i]!.wall.push(wall);
      }
    for (const [i, [name]] of arms.entries()) {
      const s = samples[i]!;
      console.log(
        `cli-cpu herdctl ${args[0]} | ${name}: CPU median ${fmt(median(s.cpu))}, mean ${fmt(mean(s.cpu))}; wall median ${fmt(median(s.wall))}`,
      );
    }
  }
  console.log(`cli-cpu: load ${load()} at the end`);
} finally {
  rmSync(times, { force: true });
  root.cleanup();
}
