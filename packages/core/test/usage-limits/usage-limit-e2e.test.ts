import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { always, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { createApi } from "../../src/control/api.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

const AGENT =
  "model: claude-sonnet-4-5\nschedules:\n  tick: { type: interval, interval: 1s, prompt: tick }\n";

describe("usage-limit pauses (real claude; the stand-in fakes Anthropic's usage limit)", () => {
  const bed = fleetTestbed();

  it("a subscription's limit pauses the schedule until the reset: nothing is sent, a restart keeps it, then one probe and the catch-up", async () => {
    bed.standin.setResponder(always(textReply("fine")));
    const reset = new Date(Date.now() + 30_000);
    bed.standin.limitUsage({ until: reset, kind: "subscription" });
    // A fake subscription token instead of the API key: claude reads the reset only for subscriptions.
    const env = { ...claudeEnv(bed.standin, bed.tmp.dir), ANTHROPIC_API_KEY: "" };
    env.CLAUDE_CODE_OAUTH_TOKEN = "sk-ant-oat01-usage-limit-test";
    const hookOut = join(bed.tmp.dir, "usage-limited-hook.jsonl");
    const f = await bed.start(
      { ticker: `runtime: cli\n${AGENT}` },
      // Declared in the fleet file, so the operator's hook runs on the host.
      `defaults:\n  hooks:\n    usage_limited:\n      - { type: shell, command: "cat >> ${hookOut}; echo >> ${hookOut}" }\n`,
      { env },
    );

    await until(() => f.usageLimits().length === 1, "the fleet paused at the usage limit");
    const [pause] = f.usageLimits();
    expect(pause).toMatchObject({
      until: new Date(Math.ceil(reset.getTime() / 1000) * 1000).toISOString(),
      state: "paused",
      source: "rate_limit_event",
      agents: ["ticker"],
      label: expect.stringMatching(/^subscription token [0-9a-f]{8}$/),
    });
    expect(pause!.message).toMatch(/^You've hit your 5-hour limit · resets /);
    const hookPayloads = () =>
      readFileSync(hookOut, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    // The hook appends, then ends its line: the file can exist before the payload is whole.
    const whole = () => existsSync(hookOut) && readFileSync(hookOut, "utf8").trimEnd().endsWith("}");
    await until(() => whole() && readFileSync(hookOut, "utf8").endsWith("\n"), "the usage_limited hook ran");
    expect(hookPayloads()).toEqual([
      expect.objectContaining({
        event: "usage_limited",
        agent: { id: "ticker", name: "ticker" },
        job: expect.objectContaining({ status: "failed", agent: "ticker" }),
        usage_limit: {
          credential: pause!.label,
          resets_at: pause!.until,
          source: "rate_limit_event",
          agents: ["ticker"],
        },
      }),
    ]);
    expect(readFileSync(hookOut, "utf8")).not.toContain("sk-ant-oat01");
    expect(f.status().agents[0]!.usageLimit!.text).toMatch(/^paused until \d\d:\d\d \(usage limit\)$/);
    const usage = await (await createApi(f).fetch(new Request("http://herdctl/api/usage"))).json();
    expect(usage.usageLimits).toEqual([expect.objectContaining({ until: pause!.until, agents: ["ticker"] })]);
    expect(() => f.trigger("ticker", { prompt: "now" })).toThrow(
      expect.objectContaining({
        code: "FLEET_USAGE_LIMITED",
        message: expect.stringMatching(
          /^agent ticker is paused until \d\d:\d\d \(usage limit\): its subscription token [0-9a-f]{8} reached its usage limit; scheduled runs are skipped until then\. Trigger with --force/,
        ),
      }),
    );
    const skips = () =>
      f.state.events
        .list({ type: "schedule:skipped" })
        .filter((e) => (e.data as { reason: string }).reason === "usage_limit");
    await until(() => skips().length >= 2, "scheduled fires were skipped for the usage limit");

    // A restart during the pause keeps it.
    await f.stop({ timeoutMs: 0 });
    const again = new FleetManager({ config: bed.tmp.dir, env, watchConfig: false });
    bed.fleet = again;
    await again.start();
    expect(again.usageLimits()).toEqual([expect.objectContaining({ until: pause!.until, state: "paused" })]);

    await until(() => again.usageLimits().length === 0, "the pause lifted after the reset", 120_000);
    const limited = bed.standin.requests.filter((r) => r.limited);
    const refusedBeforePause = limited.length;
    // Between the pause and the reset nothing reached the API: every model request after the
    // first refused one came after the reset.
    const firstRefusal = limited[0]!.receivedAt;
    const between = bed.standin.requests.filter(
      (r) => r.pathname === "/v1/messages" && r.receivedAt > firstRefusal && r.receivedAt < reset.getTime(),
    );
    expect(between.filter((r) => !r.limited)).toEqual([]);
    expect(refusedBeforePause).toBeLessThanOrEqual(2);
    await until(
      () =>
        again
          .jobs({ agent: "ticker" })
          .jobs.some((j) => j.status === "completed" && j.triggerType === "schedule"),
      "the catch-up ran after the reset",
    );
    const actions = again.audit().map((e) => e.action);
    expect(actions).toContain("usage.pause");
    expect(actions).toContain("usage.resume");
    const resume = again.audit().find((e) => e.action === "usage.resume")!;
    expect(JSON.parse(resume.detail!)).toMatchObject({ probe: expect.stringMatching(/^job-/) });
    expect(again.verifyAudit().ok).toBe(true);
    // Once for the pause: the fires skipped meanwhile, the restart and the clean probe said nothing more.
    expect(hookPayloads()).toHaveLength(1);
  });

  it("an API key's 429 names no reset: a bounded pause; a forced trigger runs and the audit trail says so", async () => {
    bed.standin.setResponder(always(textReply("fine")));
    bed.standin.limitUsage({ until: new Date(Date.now() + 600_000), kind: "api_key" });
    const f = await bed.start({ keyed: "runtime: sdk\nmodel: claude-sonnet-4-5\n" });
    const first = await f.wait(f.trigger("keyed", { prompt: "hello" }).id);
    expect(first).toMatchObject({ status: "failed", exitReason: "api_error", apiErrorKind: "rate_limit" });
    await until(() => f.usageLimits().length === 1, "the fleet paused at the key's rate limit");
    const [pause] = f.usageLimits();
    expect(pause).toMatchObject({ source: "unknown", label: expect.stringMatching(/^API key [0-9a-f]{8}$/) });
    // Five minutes from the job's end, give or take the test's own pace.
    const minutes = (new Date(pause!.until).getTime() - new Date(first.finishedAt!).getTime()) / 60_000;
    expect(minutes).toBeGreaterThan(4.9);
    expect(minutes).toBeLessThan(5.1);
    // It may be a passing rate limit: a person's trigger still goes through (and meets the 429 again)…
    const manual = await f.wait(f.trigger("keyed", { prompt: "again" }).id);
    expect(manual).toMatchObject({ status: "failed", apiErrorKind: "rate_limit" });
    // …while scheduled work waits for the pause to end, with no request sent.
    const skipped: string[] = [];
    f.events.on("schedule:skipped", (e) => skipped.push(e.reason));
    const sent = bed.standin.requests.length;
    await f.addSchedule("keyed", "tick", { type: "interval", interval: "1s", prompt: "tick" });
    await until(() => skipped.length >= 2, "two scheduled fires were held");
    expect(skipped).toEqual(expect.arrayContaining(["usage_limit"]));
    expect(bed.standin.requests.length).toBe(sent);
    await f.removeSchedule("keyed", "tick");

    bed.standin.limitUsage(undefined);
    const forced = await f.wait(
      f.trigger("keyed", { prompt: "urgent", force: true, actor: { via: "cli", who: "dana" } }).id,
    );
    expect(forced.status).toBe("completed");
    expect(bed.standin.requests.length).toBeGreaterThan(sent);
    const entry = f.audit().find((e) => e.target === forced.id)!;
    expect(JSON.parse(entry.detail!)).toMatchObject({ forcedOverUsageLimit: true });
    // A forced job is not the probe: the pause stays until its reset.
    expect(f.usageLimits()).toHaveLength(1);
  });
});
