import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { isAlive, scratch, until, writeFleetFiles } from "./helpers.js";
import { exitWithin, type Herdctl, herdctl } from "./processes.js";

/**
 * What a daemon leaves behind when it goes: `herdctl stop` after a Docker job with followers
 * attached must end the process, and a `trigger --wait` must notice a daemon that died.
 */
const FLEET = "faultsshutdown";
let root: { dir: string; cleanup: () => void };
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
const started: Herdctl[] = [];
const cli = (...args: string[]) => {
  const p = herdctl(["-c", root.dir, ...args], env);
  started.push(p);
  return p;
};

const roots: Array<{ dir: string; cleanup: () => void }> = [];
/** A fresh fleet directory per test, so a SIGKILLed daemon's lock cannot reach the next test. */
function newFleet(): void {
  root = scratch("herdctl-faults-shutdown-");
  roots.push(root);
  env.CLAUDE_CONFIG_DIR = join(root.dir, "claude-config");
  writeFleetFiles(
    root.dir,
    FLEET,
    {
      boxed: "runtime: cli\ndocker: { enabled: true }\n",
      plain: "runtime: cli\n",
    },
    "defaults:\n  permission_mode: acceptEdits\n  docker: { network: host }\n",
  );
}

beforeAll(async () => {
  await ensureRuntimeImage();
  await removeFleetContainers(FLEET);
}, IMAGE_TIMEOUT_MS);

afterAll(async () => {
  for (const p of started) if (p.running()) p.child.kill("SIGKILL");
  // claude processes a SIGKILLed daemon left behind (they name the fleet's directory).
  for (const { dir, cleanup } of roots) {
    const pids = spawnSync("pgrep", ["-f", dir], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const pid of pids.map(Number)) if (pid !== process.pid && isAlive(pid)) process.kill(pid, "SIGKILL");
    cleanup();
  }
  await removeFleetContainers(FLEET);
});

async function startDaemon(...extra: string[]): Promise<{ daemon: Herdctl; url?: string }> {
  const daemon = cli("start", "--offline", "--no-warm", ...extra);
  await daemon.printed(/Ctrl-C to stop/, 60_000);
  const url = /dashboard: (http:\/\/\S+)/.exec(daemon.stdout())?.[1];
  return { daemon, url };
}

function liveSocket(url: string): Promise<{ ws: WebSocket; messages: unknown[]; closed: Promise<void> }> {
  const token = readFileSync(join(root.dir, ".herdctl", "web-token"), "utf8").trim();
  const ws = new WebSocket(`${url.replace("http", "ws")}/ws`, {
    headers: { origin: url, authorization: `Bearer ${token}` },
  });
  const messages: unknown[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(data.toString())));
  const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, messages, closed }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`/ws answered ${res.statusCode}`)));
  });
}

describe("the daemon goes away", () => {
  it("exits within seconds of `herdctl stop` after a cancelled Docker job, with logs -f and a WebSocket attached", async () => {
    newFleet();
    const { daemon, url } = await startDaemon("--web", "--web-port", "0");
    expect(url).toBeDefined();
    const live = await liveSocket(url!);

    const trigger = cli("trigger", "boxed", "-p", "run until cancelled\n@standin hang");
    const id = (await trigger.printed(/^(job-\S+) (queued|running)$/m))[1]!;
    expect((await trigger.exited).code).toBe(0);
    live.ws.send(JSON.stringify({ type: "subscribe", jobId: id }));
    const follower = cli("logs", "-f");
    await follower.printed(new RegExp(`── ${id} boxed`));
    // claude has started inside the container once the job's first output line is written.
    await until(() => (withState((s) => s.readJobOutput(id).length) > 0 ? true : undefined), 120_000);
    const cancel = cli("cancel", id);
    expect((await cancel.exited).code, cancel.stderr()).toBe(0);
    await follower.printed(new RegExp(`job ${id} cancelled`));

    const stop = cli("stop");
    const stopAt = Date.now();
    expect((await stop.exited).code, stop.stderr()).toBe(0);
    await daemon.printed(/fleet stopped/, 60_000);
    const stoppedAt = Date.now();
    // Generous bounds: before the fix the process lived on for minutes with engine connections open.
    const exit = await exitWithin(daemon, 60_000);
    expect(exit.code).toBe(0);
    expect(isAlive(daemon.child.pid!)).toBe(false);
    expect(exit.at - stoppedAt).toBeLessThan(5_000);
    expect(exit.at - stopAt).toBeLessThan(30_000);

    expect((await exitWithin(follower, 10_000)).code).toBe(0);
    expect(follower.stderr()).toContain("the daemon stopped; nothing more to follow");
    await live.closed;
  }, 400_000);

  it("trigger --wait notices a SIGKILLed daemon at once and says so (exit 1)", async () => {
    newFleet();
    const { daemon } = await startDaemon();
    const waiter = cli("trigger", "plain", "--wait", "-p", "think for a long time\n@standin hang");
    const id = (await waiter.printed(/job (job-\S+) \w+ for plain \(through the daemon\)/))[1]!;
    // The job is under way (claude has started) before the daemon dies.
    await until(() => (withState((s) => s.readJobOutput(id).length) > 0 ? true : undefined), 60_000);
    daemon.child.kill("SIGKILL");
    const killedAt = Date.now();
    const exit = await exitWithin(waiter, 60_000);
    expect(exit.code).toBe(1);
    expect(exit.at - killedAt).toBeLessThan(5_000);
    expect(waiter.stderr()).toContain(
      `herdctl: lost the daemon while waiting for job ${id}: the daemon closed the connection: it stopped or died.`,
    );
    expect(waiter.stderr()).not.toContain("undefined");
  });
});

describe("the daemon hangs", () => {
  it("trigger --wait tells a frozen daemon (no keep-alives) from a silent model, within seconds", async () => {
    newFleet();
    const { daemon } = await startDaemon();
    const waiter = cli("trigger", "plain", "--wait", "-p", "think for a long time\n@standin hang");
    const id = (await waiter.printed(/job (job-\S+) \w+ for plain \(through the daemon\)/))[1]!;
    await until(() => (withState((s) => s.readJobOutput(id).length) > 0 ? true : undefined), 60_000);
    daemon.child.kill("SIGSTOP");
    const frozenAt = Date.now();
    try {
      const exit = await exitWithin(waiter, 60_000);
      expect(exit.code).toBe(1);
      // The limit is 10 s of silence; the bound leaves room for a busy machine.
      expect(exit.at - frozenAt).toBeLessThan(20_000);
      expect(waiter.stderr()).toContain(
        `herdctl: lost the daemon while waiting for job ${id}: the daemon sent nothing for 10 s, not even a keep-alive: it is hung or overloaded;`,
      );
      // A busy daemon is not an absent one: a new trigger must not run the job itself instead.
      const late = cli("trigger", "plain", "-p", "run me once");
      expect((await exitWithin(late, 60_000)).code).toBe(1);
      expect(late.stderr()).toContain(
        `herdctl: a daemon is listening on ${join(root.dir, ".herdctl", "herdctl.sock")} but did not answer within 10 s: it is hung or overloaded;`,
      );
    } finally {
      daemon.child.kill("SIGKILL");
      daemon.child.kill("SIGCONT");
    }
    expect(withState((s) => s.jobs.list({ agent: "plain" }).jobs.map((j) => j.id))).toEqual([id]);
  });
});

describe("an in-process job that cannot start", () => {
  it("trigger --offline exits when the state store cannot open, leaving no stand-in behind", async () => {
    newFleet();
    writeFileSync(join(root.dir, ".herdctl"), "not a directory\n");
    const trigger = cli("trigger", "plain", "--offline", "-p", "never runs");
    expect((await exitWithin(trigger, 30_000)).code).toBe(1);
  });
});

function withState<T>(fn: (s: StateManager) => T): T {
  const state = new StateManager(join(root.dir, ".herdctl"));
  state.open();
  try {
    return fn(state);
  } finally {
    state.close();
  }
}
