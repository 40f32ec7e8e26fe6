import { type RecordedRequest, script, textReply, toolUse } from "@herdctl/standin";
import { expect } from "vitest";
import { describeRuntimes } from "../../../../test/setup/runtimes.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { JobRecord } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { writeAgents } from "../helpers/multi-fleet.js";

const START = "2030-01-01T00:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

const wakeup = (delaySeconds: number, prompt: string) =>
  toolUse("ScheduleWakeup", { delaySeconds, reason: "check back later", prompt, noop: false });

/** Texts of every user message of a request, tool results left out: the conversation claude sent. */
function userTexts(request: RecordedRequest): string[] {
  return request.messages
    .filter((m) => m.role === "user")
    .flatMap((m) => (typeof m.content === "string" ? [m.content] : m.content))
    .flatMap((b) =>
      typeof b === "string" ? [b] : b.type === "text" && typeof b.text === "string" ? [b.text] : [],
    )
    .filter((t) => !t.startsWith("<system-reminder>"));
}

// Wakes are read from the tool calls and results every runtime yields (the runtime contract checks
// them): one runtime per test.
describeRuntimes("durable wakes, %s runtime (real claude, stand-in API, fake clock)", (runtime, it) => {
  const fx = clockFleetFixture(START);

  function makeFleet() {
    return new FleetManager({
      config: fx.tmp.dir,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      watchConfig: false,
      clock: fx.clock,
    });
  }

  async function startFleet(body: string) {
    writeAgents(fx.tmp.dir, { waker: `runtime: ${runtime}\nenv: { TZ: UTC }\n${body}` });
    const fleet = makeFleet();
    fx.fleet = fleet;
    await fleet.start();
    return fleet;
  }

  function nextQueued(f: FleetManager): Promise<JobRecord> {
    return new Promise((resolve) => f.events.once("job:queued", resolve));
  }

  const mainRequests = () => fx.standin.requests.filter((r) => !r.isSide);

  it("a ScheduleWakeup outlives claude: the job ends, the wake fires on the fleet's clock and resumes the same session", async () => {
    fx.standin.setResponder(
      // The reply after the tool call is a long silent turn: the job waits it out, then ends at the result.
      script([
        wakeup(120, "check the build"),
        textReply("I will check back", { delayMs: 3000 }),
        textReply("build is green"),
      ]),
    );
    const f = await startFleet("");
    const first = await f.wait(f.trigger("waker", { prompt: "start the build" }).id);
    expect(first.status).toBe("completed");
    const [wake] = f.listWakes();
    expect(wake).toMatchObject({
      agent: "waker",
      kind: "once",
      prompt: "check the build",
      sessionId: first.sessionId,
      jobId: first.id,
      nextFireAt: at(120_000),
      status: "pending",
    });
    expect(f.status().agents[0]!.wakes.map((w) => w.id)).toEqual([wake!.id]);

    fx.clock.advance(119_999);
    expect(f.state.jobs.list().jobs).toHaveLength(1);
    const queued = nextQueued(f);
    fx.clock.advance(1);
    const woken = await f.wait((await queued).id);
    expect(woken).toMatchObject({
      status: "completed",
      triggerType: "wake",
      prompt: "check the build",
      sessionId: first.sessionId,
      summary: expect.stringContaining("build is green"),
    });
    // The stand-in saw the earlier conversation, then the wake's prompt.
    const texts = userTexts(mainRequests().at(-1)!);
    expect(texts[0]).toContain("start the build");
    expect(texts.at(-1)).toContain("check the build");
    expect(f.state.wakes.require(wake!.id)).toMatchObject({
      status: "done",
      fireCount: 1,
      lastJobId: woken.id,
    });
    expect(f.listWakes()).toEqual([]);
  });

  it("a recurring CronCreate re-arms after each fire and expires after wakes.expire_after", async () => {
    fx.standin.setResponder(
      script([
        toolUse("CronCreate", { cron: "*/5 * * * *", prompt: "poll the queue", recurring: true }),
        textReply("polling every 5 minutes"),
      ]),
    );
    const f = await startFleet("wakes: { expire_after: 12m }\n");
    await f.wait(f.trigger("waker", { prompt: "watch the queue" }).id);
    const [wake] = f.listWakes();
    expect(wake).toMatchObject({
      kind: "cron",
      cron: "*/5 * * * *",
      timezone: "UTC",
      nextFireAt: at(300_000),
      expiresAt: at(720_000),
    });

    let queued = nextQueued(f);
    fx.clock.advanceTo(at(300_000));
    const one = await f.wait((await queued).id);
    expect(one).toMatchObject({ triggerType: "wake", prompt: "poll the queue", status: "completed" });
    expect(f.state.wakes.require(wake!.id)).toMatchObject({ status: "pending", nextFireAt: at(600_000) });

    queued = nextQueued(f);
    fx.clock.advanceTo(at(600_000));
    await f.wait((await queued).id);
    // 00:15 is past the 12 minutes the wake may live.
    expect(f.state.wakes.require(wake!.id)).toMatchObject({ status: "expired", fireCount: 2 });
    fx.clock.advanceTo(at(3_600_000));
    expect(f.state.jobs.list({ agent: "waker" }).jobs).toHaveLength(3);
  });

  it("a cron is read in the zone claude wrote it in, and the agent's CronDelete ends the wake it names", async () => {
    // The delete must name claude's own id of the second cron, which only claude's answer tells.
    fx.standin.setResponder((req, ctx) => {
      if (ctx.assistantTurns === 0)
        return toolUse("CronCreate", { cron: "0 9 * * *", prompt: "morning", recurring: true });
      if (ctx.assistantTurns === 1)
        return toolUse("CronCreate", { cron: "30 9 * * *", prompt: "later", recurring: true });
      if (ctx.assistantTurns === 2) {
        const answer = JSON.stringify(req.toolResults[0]?.content ?? "");
        return toolUse("CronDelete", { id: /job (\w+) /.exec(answer)?.[1] ?? "unknown" });
      }
      return textReply("one cron left");
    });
    writeAgents(fx.tmp.dir, { waker: `runtime: ${runtime}\nenv: { TZ: America/New_York }\n` });
    const f = makeFleet();
    fx.fleet = f;
    await f.start();
    const job = await f.wait(f.trigger("waker", { prompt: "plan the mornings" }).id);
    expect(job.status).toBe("completed");
    const wakes = f.listWakes();
    // 09:00 in New York on 1 January is 14:00 UTC.
    expect(wakes).toMatchObject([
      { prompt: "morning", timezone: "America/New_York", nextFireAt: at(14 * 3_600_000) },
    ]);
    const notices = f.state
      .readJobOutput(job.id)
      .map((l) => l.message as { type: string; text?: string })
      .filter((m) => m.type === "herdctl" && m.text?.includes("cancelled by the agent (CronDelete)"));
    expect(notices).toHaveLength(1);
    const cancelledId = /wake (\S+) cancelled/.exec(notices[0]!.text!)![1]!;
    expect(f.state.wakes.require(cancelledId)).toMatchObject({ prompt: "later", status: "cancelled" });
  });

  it("pending wakes survive a restart: one due while the fleet was down fires once on start, one over an hour late is missed, one cancelled before it fired never fires", async () => {
    fx.standin.setResponder(
      script([
        wakeup(600, "too late"),
        wakeup(3600, "resume after restart"),
        wakeup(1800, "never"),
        textReply("ok"),
        textReply("back"),
      ]),
    );
    const f = await startFleet("");
    const first = await f.wait(f.trigger("waker", { prompt: "long task" }).id);
    const byPrompt = (prompt: string) => f.listWakes().find((w) => w.prompt === prompt)!;
    const [late, due, never] = [byPrompt("too late"), byPrompt("resume after restart"), byPrompt("never")];
    expect([late!.nextFireAt, due!.nextFireAt, never!.nextFireAt]).toEqual([
      at(600_000),
      at(3_600_000),
      at(1_800_000),
    ]);
    // Cancelled before it fires: had it stayed pending it would be due (50 min late) after the
    // restart and fire, and the job count at the end would be 3.
    expect(f.cancelWake(never!.id).status).toBe("cancelled");
    expect(() => f.cancelWake(never!.id)).toThrow(/no pending wake/);
    await f.stop({ timeoutMs: 0 });

    fx.clock.advance(80 * 60_000); // down from 0 to 80 min: the 10 min wake is 70 min late, the 60 min one 20
    const again = makeFleet();
    fx.fleet = again;
    const queued = nextQueued(again);
    await again.start();
    // The catch-up fire is due now: on the fake clock it runs when time is next moved.
    fx.clock.advance(0);
    const woken = await again.wait((await queued).id);
    expect(woken).toMatchObject({
      triggerType: "wake",
      prompt: "resume after restart",
      sessionId: first.sessionId,
      status: "completed",
    });
    expect(again.state.wakes.require(due!.id)).toMatchObject({ status: "done", fireCount: 1 });
    expect(again.state.wakes.require(late!.id)).toMatchObject({ status: "missed", fireCount: 0 });
    expect(again.state.wakes.require(never!.id)).toMatchObject({ status: "cancelled", fireCount: 0 });
    fx.clock.advance(3_600_000);
    expect(again.state.jobs.list().jobs).toHaveLength(2);
  });

  it("a wake's job waits its turn behind the agent's running job (max_concurrent 1), across a long silent turn", async () => {
    const steps = script([wakeup(60, "after the slow one"), textReply("ok"), textReply("woke")]);
    fx.standin.setResponder((req, ctx) =>
      req.lastUserText?.includes("slow") ? textReply("slow done", { delayMs: 4000 }) : steps(req, ctx),
    );
    const f = await startFleet("instances: { max_concurrent: 1 }\n");
    await f.wait(f.trigger("waker", { prompt: "set a wake" }).id);
    const slow = f.trigger("waker", { prompt: "slow work", fresh: true });
    const queued = nextQueued(f);
    fx.clock.advance(60_000);
    const wakeJob = await queued;
    expect(f.state.jobs.require(wakeJob.id)).toMatchObject({ triggerType: "wake", status: "queued" });
    expect((await f.wait(slow.id)).status).toBe("completed");
    const woken = await f.wait(wakeJob.id);
    expect(woken.status).toBe("completed");
    expect(Date.parse(woken.startedAt!)).toBeGreaterThanOrEqual(
      Date.parse(f.state.jobs.require(slow.id).finishedAt!),
    );
  });
});
