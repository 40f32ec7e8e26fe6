import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { CLI, isAlive, scratch, until, writeFleetFiles } from "./helpers.js";

/**
 * The Docker half of packages/cli/test/daemon-crash.test.ts (which covers host agents): SIGKILL
 * the built daemon while an ephemeral and a persistent container agent are mid-job, restart it,
 * and check that nothing is left behind.
 */
const FLEET = "faultscrashdocker";
const docker = new Dockerode();
let root: { dir: string; cleanup: () => void };
const daemons: ChildProcess[] = [];
const env = { ...process.env, NO_COLOR: "1" };

beforeAll(async () => {
  await ensureRuntimeImage();
  await removeFleetContainers(FLEET);
  root = scratch("herdctl-faults-crash-docker-");
  env.CLAUDE_CONFIG_DIR = join(root.dir, "claude-config");
  writeFleetFiles(
    root.dir,
    FLEET,
    {
      eph: "runtime: cli\ndocker: { enabled: true }\n",
      pers: "runtime: cli\ndocker: { enabled: true, ephemeral: false }\n",
      ticker: "runtime: cli\nschedules:\n  tick: { type: interval, interval: 1s, prompt: tick }\n",
    },
    "defaults:\n  docker: { network: host }\n",
  );
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill("SIGKILL");
  await removeFleetContainers(FLEET);
  root?.cleanup();
});

function startDaemon(): ChildProcess {
  const child = spawn(process.execPath, [CLI, "start", "-c", root.dir, "--offline", "--no-warm"], {
    env,
    stdio: "ignore",
  });
  daemons.push(child);
  return child;
}
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, "-c", root.dir, ...args], { env, encoding: "utf8" });

function withState<T>(fn: (s: StateManager) => T): T {
  const state = new StateManager(join(root.dir, ".herdctl"));
  state.open();
  try {
    return fn(state);
  } finally {
    state.close();
  }
}

async function running(filter: Record<string, string>): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({
    filters: { label: Object.entries(filter).map(([k, v]) => `${k}=${v}`), status: ["running"] },
  });
}

/** Processes inside a container whose command line mentions claude. */
async function claudeInside(id: string): Promise<number> {
  try {
    const top = await docker.getContainer(id).top({ ps_args: "-eo pid,args" });
    return (top.Processes ?? []).filter((p) => p.some((col) => /claude/.test(col) && !/sleep/.test(col)))
      .length;
  } catch {
    return 0;
  }
}

describe("daemon SIGKILL mid-job with Docker agents (built CLI)", () => {
  it("interrupts both container jobs, leaves no container or claude behind, and keeps scheduling", async () => {
    const daemon = startDaemon();
    await until(() => (existsSync(join(root.dir, ".herdctl", "herdctl.sock")) ? true : undefined), 60_000);
    const ids: Record<string, string> = {};
    for (const agent of ["eph", "pers"]) {
      const r = cli("trigger", agent, "-p", "wait for me\n@standin hang", "--json");
      expect(r.status, r.stderr).toBe(0);
      ids[agent] = JSON.parse(r.stdout).id as string;
    }
    const containers = await until(
      () =>
        withState((s) => {
          const e = s.jobs.require(ids.eph!).containerId;
          const p = s.jobs.require(ids.pers!).containerId;
          return e && p ? { eph: e, pers: p } : undefined;
        }),
      90_000,
    );
    // claude has started inside both containers before the crash.
    await until(
      async () =>
        (await claudeInside(containers.eph)) && (await claudeInside(containers.pers)) ? true : undefined,
      60_000,
    );

    daemon.kill("SIGKILL");
    await until(() => (daemon.exitCode !== null || daemon.signalCode !== null ? true : undefined));
    const crashedAt = new Date().toISOString();

    startDaemon();
    for (const id of Object.values(ids)) {
      const job = await until(() => {
        const j = withState((s) => s.jobs.require(id));
        return j.status === "interrupted" ? j : undefined;
      }, 60_000);
      expect(job.error).toContain("herdctl stopped unexpectedly");
    }
    // The ephemeral container is gone; the persistent one was restarted, so its claude is gone.
    await until(
      async () => ((await running({ "herdctl.job": ids.eph! })).length === 0 ? true : undefined),
      30_000,
    );
    const all = await docker.listContainers({ all: true, filters: { label: [`herdctl.fleet=${FLEET}`] } });
    expect(all.map((c) => c.Id)).not.toContain(containers.eph);
    expect(await claudeInside(containers.pers)).toBe(0);
    // No host claude either: every process whose command line names this fleet's directory is gone,
    // except the restarted daemon and what it started since (the ticker's claude names the fleet's
    // files in its deny rules).
    const fromDaemon = (pid: number) => {
      const ppid = Number(
        spawnSync("ps", ["-o", "ppid=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim(),
      );
      return daemons.some((d) => d.pid === pid || d.pid === ppid);
    };
    const hostClaudes = spawnSync("pgrep", ["-f", root.dir], { encoding: "utf8" })
      .stdout.split("\n")
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pid !== process.pid && isAlive(pid) && !fromDaemon(pid));
    expect(hostClaudes).toEqual([]);

    await until(() => {
      const after = withState((s) => s.jobs.list({ agent: "ticker", since: crashedAt }).jobs);
      return after.some((j) => j.status === "completed") ? true : undefined;
    }, 60_000);
    expect(withState((s) => s.integrityCheck())).toEqual([]);
    expect(cli("stop", "--timeout", "5").status).toBe(0);
  });
});
