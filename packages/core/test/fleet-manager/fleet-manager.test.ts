import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { hang, type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { verifyTimestamped } from "../../src/hooks/index.js";
import type { JobRecord } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { until } from "../helpers/until.js";

describe("FleetManager end to end (real claude, stand-in API)", () => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager | undefined;

  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(() => standin.close());
  beforeEach(() => {
    tmp = tempDir();
    standin.requests.length = 0;
    standin.setResponder(script([textReply("ok")]));
  });
  afterEach(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    fleet = undefined;
    tmp.cleanup();
  });

  async function startFleet(agents: Record<string, string>, fleetExtra = "") {
    writeAgents(tmp.dir, agents, fleetExtra);
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    return fleet;
  }

  it("runs several agents at once", async () => {
    // No reply until all three conversations are waiting: jobs run one after another would never
    // get there, so finishing at all proves they ran together, however slowly claude starts.
    let release: () => void = () => {};
    const allWaiting = new Promise<void>((resolve) => {
      release = resolve;
    });
    standin.setResponder(async () => {
      if (standin.mainRequests.length >= 3) release();
      await allWaiting;
      return textReply("together");
    });
    const f = await startFleet({ a: "runtime: cli\n", b: "runtime: cli\n", c: "runtime: sdk\n" });
    const jobs = ["a", "b", "c"].map((name) => f.trigger(name, { prompt: `hi ${name}` }));
    const done = await Promise.all(jobs.map((j) => f.wait(j.id)));
    expect(done.map((j) => j.status)).toEqual(["completed", "completed", "completed"]);
    expect(done.map((j) => j.summary)).toEqual(["together", "together", "together"]);
  });

  it("queues a manual trigger at max_concurrent, refuses with noQueue, and cancels a queued job", async () => {
    standin.setResponder(script([{ kind: "text", text: "slow", delayMs: 1200 }]));
    const f = await startFleet({ solo: "runtime: cli\ninstances: { max_concurrent: 1 }\n" });
    const first = f.trigger("solo", { prompt: "one" });
    const second = f.trigger("solo", { prompt: "two" });
    const third = f.trigger("solo", { prompt: "three" });
    expect(first.status).toBe("running");
    expect(second.status).toBe("queued");
    expect(() => f.trigger("solo", { prompt: "four", noQueue: true })).toThrow(
      "agent solo is at capacity (1 of 1 running); try again later, or trigger without --no-queue to wait in line",
    );
    expect((await f.cancel(third.id)).status).toBe("cancelled");
    const [a, b] = await Promise.all([f.wait(first.id), f.wait(second.id)]);
    expect(a.status).toBe("completed");
    expect(b.status).toBe("completed");
    expect(Date.parse(b.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.finishedAt!));
  });

  it("cancels a running job and times out a hung one", async () => {
    // The model never answers, so the 2 s timeout is certain to end "timed" however long claude
    // takes to start. "held" has no short timeout: a busy machine could otherwise time it out
    // before it reaches the model, and it is cancelled only once its request is in flight.
    standin.setResponder(() => hang());
    const f = await startFleet({ timed: "runtime: cli\ntimeout: 2s\n", held: "runtime: cli\n" });
    const timed = f.trigger("timed", { prompt: "hang a" });
    const cancelled = f.trigger("held", { prompt: "hang b" });
    await until(() => standin.mainRequests.some((r) => r.lastUserText === "hang b"));
    expect((await f.cancel(cancelled.id)).status).toBe("cancelled");
    expect(f.state.jobs.require(cancelled.id)).toMatchObject({
      status: "cancelled",
      exitReason: "cancelled",
    });
    expect((await f.wait(timed.id)).status).toBe("timed_out");
  });

  it("fires interval schedules and records them", async () => {
    const f = await startFleet({
      ticker: "runtime: cli\nschedules:\n  tick: { type: interval, interval: 1s, prompt: tick }\n",
    });
    const fired: string[] = [];
    f.events.on("schedule:fired", (e) => fired.push(e.jobId));
    await until(() => fired.length >= 2);
    const job = await f.wait(fired[0]!);
    expect(job).toMatchObject({
      triggerType: "schedule",
      schedule: "tick",
      prompt: "tick",
      status: "completed",
    });
    const status = f.status().agents[0]!.schedules[0]!;
    expect(status).toMatchObject({ name: "tick", when: "every 1s", enabled: true });
  });

  it("stops gracefully: a quick job finishes, a hung one is cancelled at the deadline", async () => {
    // "quick" answers only once stop has begun, so it is certainly running when stop starts; the
    // deadline leaves a busy machine ample time to finish it, while "stuck" never can.
    let stopping: () => void = () => {};
    const stopBegun = new Promise<void>((resolve) => {
      stopping = resolve;
    });
    standin.setResponder(async (req) => {
      if (req.lastUserText !== "quick") return hang();
      await stopBegun;
      return textReply("done");
    });
    const f = await startFleet({ q: "runtime: cli\n", h: "runtime: sdk\n" });
    const quick = f.trigger("q", { prompt: "quick" });
    const stuck = f.trigger("h", { prompt: "stuck" });
    await until(() => standin.mainRequests.length >= 2);
    const stopped = f.stop({ timeoutMs: 10_000 });
    stopping();
    await stopped;
    fleet = undefined;
    const { StateManager } = await import("../../src/state/index.js");
    const state = new StateManager(join(tmp.dir, ".herdctl"));
    state.open();
    expect(state.jobs.require(quick.id).status).toBe("completed");
    expect(state.jobs.require(stuck.id).status).toBe("cancelled");
    state.close();
    expect(existsSync(join(tmp.dir, ".herdctl", "herdctl.lock"))).toBe(false);
  });

  it("refuses a second daemon on the same state directory, naming the running pid", async () => {
    await startFleet({ a: "runtime: cli\n" });
    const second = new FleetManager({
      config: tmp.dir,
      env: claudeEnv(standin, tmp.dir),
      watchConfig: false,
    });
    await expect(second.start()).rejects.toThrow(String(process.pid));
  });

  it("runs shell and webhook hooks; a failing hook is recorded and never changes the status", async () => {
    const received: Array<{ body: string; signature: string | undefined; timestamp: string | undefined }> =
      [];
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push({
          body,
          signature: req.headers["x-herdctl-signature"] as string | undefined,
          timestamp: req.headers["x-herdctl-timestamp"] as string | undefined,
        });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const port = (receiver.address() as AddressInfo).port;
    process.env.HERDCTL_TEST_HOOK_SECRET = "hook-secret-value-123";
    const out = join(tmp.dir, "hook-out.json");
    try {
      // In the fleet file: shell hooks there are the operator's and run on the host.
      const f = await startFleet(
        { hooked: "runtime: cli\n" },
        "defaults:\n  hooks:\n    after_run:\n" +
          `      - { type: shell, command: "cat > '${out}'" }\n` +
          `      - { type: webhook, url: "http://127.0.0.1:${port}/hook", secret_env: HERDCTL_TEST_HOOK_SECRET }\n` +
          '      - { type: shell, command: "exit 3" }\n',
      );
      const job = await f.wait(f.trigger("hooked", { prompt: "go" }).id);
      expect(job.status).toBe("completed");
      const context = JSON.parse(readFileSync(out, "utf8"));
      expect(context).toMatchObject({ event: "completed", job: { id: job.id, status: "completed" } });
      expect(received).toHaveLength(1);
      expect(verifyTimestamped(received[0]!.body, "hook-secret-value-123", received[0]!).ok).toBe(true);
      const stored = f.state.jobs.require(job.id);
      expect(stored.status).toBe("completed");
      expect(stored.hookErrors).toHaveLength(1);
      expect(stored.hookErrors![0]!.hook).toContain("after_run[2]");
    } finally {
      delete process.env.HERDCTL_TEST_HOOK_SECRET;
      receiver.close();
    }
  });

  it("hot-reloads a good config and keeps running on a bad one", async () => {
    const f = await startFleet({ a: "runtime: cli\n" });
    const running = f.trigger("a", { prompt: "still going" });
    writeAgents(tmp.dir, { a: "runtime: cli\nmodel: claude-opus-4-1\n", b: "runtime: cli\n" });
    const good = await f.reload();
    expect(good).toEqual({ ok: true, added: ["b"], removed: [], updated: ["a"] });
    expect((await f.wait(running.id)).status).toBe("completed");
    expect(f.status().agents.map((a) => a.name)).toEqual(["a", "b"]);

    writeFileSync(join(tmp.dir, "agents", "b.yaml"), "name: b\nruntime: [oops\n");
    const bad = await f.reload();
    expect(bad.ok).toBe(false);
    expect(f.status().lastReloadError?.message).toContain("agents/b.yaml:3:1");
    expect(f.status().agents.map((a) => a.name)).toEqual(["a", "b"]);
    const job: JobRecord = await f.wait(f.trigger("b", { prompt: "after bad reload" }).id);
    expect(job.status).toBe("completed");
  });

  it("reloads by itself when a config file changes", async () => {
    writeAgents(tmp.dir, { a: "runtime: cli\n" });
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir) });
    await fleet.start();
    const reloaded = new Promise((resolve) => fleet!.events.once("config:reloaded", resolve));
    writeAgents(tmp.dir, { a: "runtime: cli\n", c: "runtime: cli\n" });
    expect(await reloaded).toEqual({ added: ["c"], removed: [], updated: [] });
  });
});
