import { join } from "node:path";
import { type JobRecord, StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { scratch, until, writeFleetFiles } from "./helpers.js";
import { exitWithin, type Herdctl, herdctl } from "./processes.js";

/**
 * A real model turn can be silent for minutes. The stand-in holds its reply for 60 s, and
 * everything watching the job (trigger --wait, logs -f, logs -f --job) must still be there when
 * it ends: through the daemon and in-process, for a host agent and a Docker agent at once.
 */
const SILENCE_MS = 60_000;
const prompt = (word: string) =>
  `stay quiet a while\n@standin delay ${SILENCE_MS}\n@standin text ${word} finished`;
const DEADLINE = SILENCE_MS + 240_000;

const started: Herdctl[] = [];
const roots: Array<() => void> = [];
afterAll(() => {
  for (const p of started) if (p.running()) p.child.kill("SIGKILL");
  for (const cleanup of roots) cleanup();
});

function fleet(name: string): { dir: string; env: NodeJS.ProcessEnv } {
  const root = scratch(`herdctl-faults-${name}-`);
  roots.push(root.cleanup);
  writeFleetFiles(
    root.dir,
    name,
    { host: "runtime: sdk\n", boxed: "runtime: cli\ndocker: { enabled: true }\n" },
    "defaults:\n  permission_mode: acceptEdits\n  docker: { network: host }\n",
  );
  return {
    dir: root.dir,
    env: { ...process.env, NO_COLOR: "1", CLAUDE_CONFIG_DIR: join(root.dir, "claude-config") },
  };
}

function cliIn(f: { dir: string; env: NodeJS.ProcessEnv }) {
  return (...args: string[]) => {
    const p = herdctl(["-c", f.dir, ...args], f.env);
    started.push(p);
    return p;
  };
}

/** A watcher that printed the job's reply and its end, and exited 0 when the job ended. */
async function sawTheEnd(p: Herdctl, id: string, word: string): Promise<void> {
  const exit = await exitWithin(p, DEADLINE);
  expect(exit.code, `${p.stdout()}\n${p.stderr()}`).toBe(0);
  expect(p.stdout()).toContain(`${word} finished`);
  expect(p.stdout()).toMatch(new RegExp(`job ${id} completed`));
}

/** The job really went quiet for the whole delay: it took at least that long. */
function lastedTheSilence(dir: string, id: string): void {
  expect(jobIn(dir, id).durationMs).toBeGreaterThanOrEqual(SILENCE_MS);
}

function jobIn(dir: string, id: string): JobRecord {
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  try {
    return state.jobs.require(id);
  } finally {
    state.close();
  }
}

const FLEETS = { daemon: "faultssilentd", local: "faultssilentl" };
beforeAll(async () => {
  await ensureRuntimeImage();
  for (const name of Object.values(FLEETS)) await removeFleetContainers(name);
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  for (const name of Object.values(FLEETS)) await removeFleetContainers(name);
});

describe.concurrent("a model silent for 60 s", () => {
  it(
    "through the daemon: trigger --wait and logs -f (one job and all) stay until the jobs end",
    async () => {
      const f = fleet(FLEETS.daemon);
      const cli = cliIn(f);
      const daemon = cli("start", "--offline", "--no-warm");
      await daemon.printed(/Ctrl-C to stop/, 60_000);
      const all = cli("logs", "-f", "-n", "0");
      const waits = {
        host: cli("trigger", "host", "--wait", "-p", prompt("host")),
        boxed: cli("trigger", "boxed", "--wait", "-p", prompt("boxed")),
      };
      const ids = {
        host: (await waits.host.printed(/job (job-\S+) \w+ for host/))[1]!,
        boxed: (await waits.boxed.printed(/job (job-\S+) \w+ for boxed/))[1]!,
      };
      const one = {
        host: cli("logs", "-f", "--job", ids.host),
        boxed: cli("logs", "-f", "--job", ids.boxed),
      };
      for (const agent of ["host", "boxed"] as const) {
        await sawTheEnd(waits[agent], ids[agent], agent);
        lastedTheSilence(f.dir, ids[agent]);
        expect(waits[agent].stderr()).not.toContain("did not answer");
        await sawTheEnd(one[agent], ids[agent], agent);
      }
      // Following everything goes on after the jobs, until the daemon stops.
      await all.printed(new RegExp(`job ${ids.host} completed`));
      await all.printed(new RegExp(`job ${ids.boxed} completed`));
      expect(all.stdout()).toContain("host finished");
      expect(all.stdout()).toContain("boxed finished");
      expect(all.running()).toBe(true);
      expect((await cli("stop").exited).code).toBe(0);
      expect((await exitWithin(all, 60_000)).code).toBe(0);
      expect(all.stderr()).toContain("the daemon stopped; nothing more to follow\n");
      expect((await exitWithin(daemon, 60_000)).code).toBe(0);
    },
    DEADLINE + 120_000,
  );

  it(
    "in-process: trigger --offline --wait and logs -f read from the state store stay until the jobs end",
    async () => {
      const f = fleet(FLEETS.local);
      const cli = cliIn(f);
      // Two processes creating the same state store at once race on its schema migrations.
      expect((await cli("jobs").exited).code).toBe(0);
      const waits = {
        host: cli("trigger", "host", "--offline", "--wait", "-p", prompt("host")),
        boxed: cli("trigger", "boxed", "--offline", "--wait", "-p", prompt("boxed")),
      };
      const ids = {
        host: (await waits.host.printed(/job (job-\S+) started for host/))[1]!,
        boxed: (await waits.boxed.printed(/job (job-\S+) started for boxed/))[1]!,
      };
      // Without --job, logs -f follows the agent's newest running job.
      await until(() => (jobIn(f.dir, ids.boxed).status === "running" ? true : undefined), 60_000);
      const one = { host: cli("logs", "-f", "--job", ids.host), boxed: cli("logs", "-f", "boxed") };
      for (const agent of ["host", "boxed"] as const) {
        await sawTheEnd(waits[agent], ids[agent], agent);
        lastedTheSilence(f.dir, ids[agent]);
        await sawTheEnd(one[agent], ids[agent], agent);
      }
    },
    DEADLINE + 120_000,
  );
});
