import { appendFileSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What one test file cost its worker, from its setup file's start to its last afterAll. */
export interface FileCost {
  file: string;
  /** main or silences: npm test runs each lane as a vitest process of its own (scripts/run-tests.mjs). */
  lane: string;
  /** The worker process (files in one worker run one after another). */
  pid: number;
  /** Epoch ms when the file's setup started. */
  start: number;
  wall: number;
  /** CPU-seconds of the worker itself: module loading, hooks, tests. */
  self: number;
  /**
   * CPU-seconds of the worker's child processes that ended and were waited for meanwhile (claude,
   * daemons, npm, docker's client), with their own waited-for children. Not containers' processes:
   * those are children of the Docker engine.
   */
  children: number;
}

/** user+sys of the process's ended children, from /proc (USER_HZ ticks, 100 a second on Linux). */
function childrenSeconds(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 (cutime, cstime) of proc(5); this array starts at field 3.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

function selfSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Starts measuring the test file now running; the returned function appends its cost as one JSON
 * line to `log`. HERDCTL_TEST_COST_LOG turns this on (test/setup/per-file.ts); scripts/test-costs.mjs
 * makes the table from the lines.
 */
export function measureFile(log: string): (testPath: string | undefined) => void {
  const start = Date.now();
  const wall = performance.now();
  const self = selfSeconds();
  const children = childrenSeconds();
  return (testPath) => {
    const cost: FileCost = {
      file: testPath ? relative(ROOT, testPath) : "(unknown)",
      lane: process.env.HERDCTL_TEST_LANE ?? "",
      pid: process.pid,
      start,
      wall: (performance.now() - wall) / 1000,
      self: selfSeconds() - self,
      children: childrenSeconds() - children,
    };
    appendFileSync(log, `${JSON.stringify(cost)}\n`);
  };
}
