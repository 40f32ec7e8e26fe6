import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BIN, cleanEnv, until } from "./cli.js";

/**
 * Starts `herdctl start --offline --no-warm` in `dir` (with `env` added to the clean environment)
 * and resolves once its control socket exists. No warm claude after each triggered job: the tests
 * using this never take one (warm-daemon.test.ts and warm-silence.test.ts start their own daemon),
 * and each costs a claude start-up's CPU (~1.5 s) on the suite's two cores.
 */
export async function startDaemon(dir: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm"], {
    cwd: dir,
    env: cleanEnv(env),
    stdio: "ignore",
  });
  await until(() => existsSync(join(dir, ".herdctl", "herdctl.sock")), "the daemon's control socket");
  return daemon;
}

/** Stops a daemon a test started: SIGTERM, and SIGKILL if it has not exited within 15 s. */
export async function stopDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null) return;
  const exited = new Promise((resolve) => daemon.once("exit", resolve));
  daemon.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000)]);
  if (daemon.exitCode === null) daemon.kill("SIGKILL");
}

/** Pids of the claude processes a daemon started that wait for a stream-json prompt (warm claudes). */
export function waitingClaudes(daemonPid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== daemonPid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.includes("--input-format")) pids.push(Number(entry));
    } catch {
      // The process ended while it was read.
    }
  }
  return pids;
}
