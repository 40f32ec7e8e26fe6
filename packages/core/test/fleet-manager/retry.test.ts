import { join } from "node:path";
import { errorReply, hang, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { type JobRecord, StateManager } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { writeAgents } from "../helpers/multi-fleet.js";

function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setTimeout(poll, 20));
    poll();
  });
}

const START = "2030-01-01T00:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

describe("automatic retries (real claude, stand-in API, fake clock)", () => {
  const fx = clockFleetFixture(START);

  async function startFleet(agents: Record<string, string>) {
    writeAgents(fx.tmp.dir, agents);
    const fleet = new FleetManager({
      config: fx.tmp.dir,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      watchConfig: false,
      clock: fx.clock,
    });
    fx.fleet = fleet;
    await fleet.start();
    return fleet;
  }

  /** The job the fleet queues next (a retry is submitted from inside the clock's advance). */
  function nextQueued(f: FleetManager): Promise<JobRecord> {
    return new Promise((resolve) => f.events.once("job:queued", resolve));
  }

  it("retries a 529 twice with exponential, capped backoff on the fleet's clock: 3 rows, attempts 1..3", async () => {
    fx.standin.setResponder(
      script([errorReply(529, "Overloaded"), errorReply(529, "Overloaded"), textReply("done")]),
    );
    const f = await startFleet({
      flaky: "runtime: cli\nretry: { attempts: 3, backoff: 10s, max_backoff: 15s }\n",
    });
    const first = await f.wait(f.trigger("flaky", { prompt: "work" }).id);
    expect(first).toMatchObject({
      status: "failed",
      exitReason: "api_error",
      apiErrorKind: "server_error",
      attempt: 1,
      retryOf: null,
      nextRetryAt: at(10_000),
    });
    expect(f.status().agents[0]!.retrying).toEqual([
      { jobId: first.id, agent: "flaky", attempt: 2, attempts: 3, at: at(10_000) },
    ]);
    // Nothing happens until the clock reaches the backoff.
    fx.clock.advance(9_999);
    expect(f.state.jobs.list().jobs).toHaveLength(1);

    let queued = nextQueued(f);
    fx.clock.advance(1);
    const second = await f.wait((await queued).id);
    expect(second).toMatchObject({
      status: "failed",
      attempt: 2,
      retryOf: first.id,
      nextRetryAt: at(25_000),
    });
    expect(f.state.jobs.require(first.id).nextRetryAt).toBeNull();

    queued = nextQueued(f);
    fx.clock.advance(15_000); // 2 × 10 s = 20 s, capped at max_backoff 15 s
    const third = await f.wait((await queued).id);
    expect(third).toMatchObject({ status: "completed", attempt: 3, retryOf: first.id, nextRetryAt: null });

    const rows = f.state.jobs.list({ agent: "flaky" }).jobs.reverse();
    expect(rows.map((j) => [j.attempt, j.status, j.retryOf])).toEqual([
      [1, "failed", null],
      [2, "failed", first.id],
      [3, "completed", first.id],
    ]);
    expect(rows.every((j) => j.prompt === "work" && j.triggerType === "manual")).toBe(true);
    expect(f.status().agents[0]!.retrying).toEqual([]);
  });

  it("retries a timed-out scheduled job, on the schedule's retry over the agent's; the schedule shows the last result", async () => {
    fx.standin.setResponder(() => hang());
    const f = await startFleet({
      slow:
        // The timeout must also leave the second run time to start claude on a busy machine.
        "runtime: cli\ntimeout: 30s\nretry: { attempts: 1 }\nschedules:\n" +
        "  nightly: { type: cron, cron: '0 3 * * *', timezone: UTC, prompt: night, retry: { attempts: 2, backoff: 1m } }\n",
    });
    let queued = nextQueued(f);
    fx.clock.advance(3 * 3_600_000);
    const first = await f.wait((await queued).id);
    expect(first).toMatchObject({
      triggerType: "schedule",
      status: "timed_out",
      exitReason: "timeout",
      nextRetryAt: at(3 * 3_600_000 + 60_000),
    });
    expect(f.status().agents[0]!.schedules[0]!.lastStatus).toBe("timed_out");
    fx.standin.setResponder(script([textReply("made it")]));
    queued = nextQueued(f);
    fx.clock.advance(60_000);
    const second = await f.wait((await queued).id);
    expect(second).toMatchObject({
      status: "completed",
      attempt: 2,
      retryOf: first.id,
      triggerType: "schedule",
      schedule: "nightly",
      prompt: "night",
    });
    expect(f.status().agents[0]!.schedules[0]).toMatchObject({ lastStatus: "completed", lastError: null });
  });

  it("never retries a cancel or a non-transient API error, and drops planned retries when the fleet stops", async () => {
    fx.standin.setResponder(() => hang());
    const f = await startFleet({ w: "runtime: cli\nretry: { attempts: 5, backoff: 1s }\n" });
    const running = f.trigger("w", { prompt: "hang" });
    await until(() => fx.standin.mainRequests.length > 0);
    const cancelled = await f.cancel(running.id);
    expect(cancelled).toMatchObject({ status: "cancelled", nextRetryAt: null });

    fx.standin.setResponder(() => errorReply(401, "invalid x-api-key"));
    const denied = await f.wait(f.trigger("w", { prompt: "no key" }).id);
    expect(denied).toMatchObject({
      status: "failed",
      apiErrorKind: "authentication_failed",
      nextRetryAt: null,
    });
    expect(f.status().agents[0]!.retrying).toEqual([]);
    expect(fx.clock.pendingTimers).toBe(0);

    fx.standin.setResponder(() => errorReply(500, "boom"));
    const failed = await f.wait(f.trigger("w", { prompt: "boom" }).id);
    expect(failed.nextRetryAt).toBe(at(1_000));
    await f.stop({ timeoutMs: 0 });
    fx.fleet = undefined;
    expect(fx.clock.pendingTimers).toBe(0);
    const state = new StateManager(join(fx.tmp.dir, ".herdctl"));
    state.open();
    try {
      expect(state.jobs.require(failed.id).nextRetryAt).toBeNull();
      expect(state.jobs.list().jobs).toHaveLength(3);
    } finally {
      state.close();
    }
  });

  it("lets a retry wait in line behind the agent's running job (max_concurrent)", async () => {
    const f = await startFleet({ solo: "runtime: cli\nretry: { attempts: 2, backoff: 5s }\n" });
    fx.standin.setResponder(() => errorReply(529, "Overloaded"));
    const first = await f.wait(f.trigger("solo", { prompt: "flaky" }).id);
    fx.standin.setResponder((req) => (req.lastUserText === "busy" ? hang() : textReply("second time lucky")));
    const busy = f.trigger("solo", { prompt: "busy" });
    expect(busy.status).toBe("running");
    const queued = nextQueued(f);
    fx.clock.advance(5_000);
    const retry = await queued;
    expect(f.state.jobs.require(retry.id)).toMatchObject({ status: "queued", attempt: 2, retryOf: first.id });
    await f.cancel(busy.id);
    expect(await f.wait(retry.id)).toMatchObject({ status: "completed", attempt: 2 });
  });
});
