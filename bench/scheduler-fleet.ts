/**
 * The scheduler path of a real FleetManager: 500 agents with interval schedules, each job run by a
 * trivial in-process runtime (FleetManagerOptions.createRuntime) that answers after 0–200 ms, so
 * the figure is herdctl's own cost (scheduler, admission, SQLite rows, output files, events), not
 * 500 claude processes on two cores. Lateness is the `schedule:fired` event's time minus the
 * fire's nominal time. The daemon is a child process on the built code (bench/lib/scheduler-daemon.mjs)
 * so its CPU and RSS are herdctl's own, measured idle (nothing due) and busy.
 *
 *   npx vite-node bench/scheduler-fleet.ts [--quick]
 */

import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scratch } from "../test/faults/helpers.js";
import { figure, finish, fmt, percentile, QUICK } from "./lib/report.js";

const AGENTS = 500;
const BUSY_S = QUICK ? 6 : 30;
const IDLE_S = QUICK ? 2 : 10;

function fleetDir(intervalFor: (i: number) => string, delayFor: (i: number) => string) {
  const root = scratch("herdctl-bench-sched-");
  mkdirSync(join(root.dir, "agents"));
  mkdirSync(join(root.dir, "workspace"));
  const list: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const name = `agent-${i}`;
    list.push(`  - path: ./agents/${name}.yaml`);
    writeFileSync(
      join(root.dir, "agents", `${name}.yaml`),
      `name: ${name}\nworking_directory: ../workspace\nschedules:\n  poll: { type: interval, interval: ${intervalFor(i)}, start_delay: ${delayFor(i)}, prompt: poll }\n`,
    );
  }
  writeFileSync(
    join(root.dir, "herdctl.yaml"),
    `version: 1\nfleet: { name: benchsched }\nagents:\n${list.join("\n")}\n`,
  );
  return root;
}

const DAEMON = fileURLToPath(new URL("./lib/scheduler-daemon.mjs", import.meta.url));

interface DaemonResult {
  cpuPercent: number;
  rssMb: number;
  peakRssMb: number;
  lateness: number[];
  failed: number;
}

function daemon(dir: string, warmupS: number, measureS: number): Promise<DaemonResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DAEMON, dir, String(warmupS), String(measureS)], (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as DaemonResult);
    });
  });
}

// Idle: 500 agents planned, nothing due for an hour.
const idleRoot = fleetDir(
  () => "1h",
  () => "1h",
);
const idle = await daemon(idleRoot.dir, 2, IDLE_S);
idleRoot.cleanup();

// Busy: 1–5 s intervals, first fires spread over 5 s.
const busyRoot = fleetDir(
  (i) => `${1_000 + ((i * 7919) % 4_001)}ms`,
  (i) => `${(i * 104_729) % 5_000}ms`,
);
const busy = await daemon(busyRoot.dir, 1, BUSY_S);
busyRoot.cleanup();
const { lateness, failed } = busy;

const p50 = percentile(lateness, 50);
const p99 = percentile(lateness, 99);
console.log(
  `scheduler-fleet: ${AGENTS} agents, ${lateness.length} fires in ${BUSY_S} s, ${failed} failed jobs; daemon = built code under plain node`,
);
figure("scheduler fire lateness p50", undefined, fmt(p50), undefined, "reported", lateness.length > 0);
figure("scheduler fire lateness p99", undefined, fmt(p99), undefined, "< 100 ms", p99 < 100 && failed === 0);
figure(
  "scheduler daemon CPU idle (500 agents)",
  undefined,
  fmt(idle.cpuPercent, "%"),
  undefined,
  "< 1%",
  idle.cpuPercent < 1,
);
figure(
  "scheduler daemon CPU busy",
  fmt(idle.cpuPercent, "%"),
  fmt(busy.cpuPercent, "%"),
  busy.cpuPercent / Math.max(0.01, idle.cpuPercent),
  "reported (baseline: idle)",
  true,
);
figure(
  "scheduler daemon RSS idle",
  undefined,
  fmt(idle.rssMb, "MB"),
  undefined,
  "< 150 MB",
  idle.rssMb < 150,
);
figure(
  "scheduler daemon RSS busy (peak)",
  fmt(idle.rssMb, "MB"),
  fmt(busy.peakRssMb, "MB"),
  busy.peakRssMb / idle.rssMb,
  "< 150 MB (baseline: idle)",
  busy.peakRssMb < 150,
);
finish();
