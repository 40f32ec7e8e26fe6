import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { always, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import type { ScheduleSkippedEvent } from "../../src/fleet-manager/events.js";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

// claude prices a reply from its usage: 400,000 input tokens of claude-sonnet-4-5 cost $1.20.
const EXPENSIVE = { input_tokens: 400_000, output_tokens: 10 };
const MODEL = "model: claude-sonnet-4-5\n";

describe("budgets (real claude pricing the stand-in's scripted usage)", () => {
  const bed = fleetTestbed();
  const start = (agents: Record<string, string>, fleetExtra = "") => bed.start(agents, fleetExtra);

  it("refuses manual triggers and skips scheduled fires once an agent's daily budget is spent; --force runs and is recorded; the hook fires once", async () => {
    bed.standin.setResponder(always(textReply("spent", { usage: EXPENSIVE })));
    const hookOut = join(bed.tmp.dir, "budget-hook.jsonl");
    const f = await start(
      { spender: `runtime: cli\n${MODEL}budget: { daily_usd: 1 }\n` },
      // Declared in the fleet file, so the operator's hook runs on the host.
      `defaults:\n  hooks:\n    budget_exceeded:\n      - { type: shell, command: "cat >> ${hookOut}; echo >> ${hookOut}" }\n`,
    );
    const first = await f.wait(f.trigger("spender", { prompt: "spend" }).id);
    expect(first.status).toBe("completed");
    expect(first.costUsd).toBeCloseTo(1.2, 1);

    expect(() => f.trigger("spender", { prompt: "again" })).toThrow(
      expect.objectContaining({
        code: "FLEET_OVER_BUDGET",
        message: expect.stringMatching(
          /^agent spender has spent \$1\.2\d of its daily budget of \$1\.00 \(resets \d{4}-\d\d-\d\d 00:00 .+\); scheduled runs are skipped until then\. Trigger with --force/,
        ),
      }),
    );
    const [budget] = f.status().agents[0]!.budgets;
    expect(budget).toMatchObject({ scope: "spender", period: "daily", limitUsd: 1, exceeded: true });

    const skipped: ScheduleSkippedEvent[] = [];
    f.events.on("schedule:skipped", (e) => skipped.push(e));
    await f.addSchedule("spender", "tick", { type: "interval", interval: "1s", prompt: "tick" });
    await until(() => skipped.length >= 2, "two scheduled fires were skipped");
    expect(skipped[0]).toMatchObject({ schedule: "tick", reason: "budget" });
    expect(skipped[0]!.detail).toMatch(/^agent spender has spent/);
    expect(f.jobs({ agent: "spender" }).jobs.filter((j) => j.triggerType === "schedule")).toEqual([]);
    const recorded = f.state.events.list({ type: "schedule:skipped" })[0]!;
    expect(recorded.data).toMatchObject({ reason: "budget", detail: expect.stringMatching(/daily budget/) });
    await f.removeSchedule("spender", "tick");

    const forced = await f.wait(
      f.trigger("spender", { prompt: "urgent", force: true, actor: { via: "cli", who: "carol" } }).id,
    );
    expect(forced.status).toBe("completed");
    const entry = f.audit().find((e) => e.target === forced.id)!;
    expect(entry).toMatchObject({ action: "job.trigger", who: "carol" });
    expect(JSON.parse(entry.detail!)).toMatchObject({ forcedOverBudget: true });

    // Once per window: the first job crossed the limit; the forced one adds to it, silently.
    await until(() => existsSync(hookOut), "the budget_exceeded hook ran");
    const payloads = readFileSync(hookOut, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toMatchObject({
      event: "budget_exceeded",
      job: { id: first.id },
      budget: { scope: "spender", period: "daily", limit_usd: 1 },
    });
    expect(f.state.events.list({ type: "budget:exceeded" })).toHaveLength(1);
  });

  it("a hard budget cuts a running job off at what is left; the fleet-wide budget covers every agent", async () => {
    bed.standin.setResponder(
      always(textReply("some", { usage: { input_tokens: 200_000, output_tokens: 10 } })),
    );
    const f = await start(
      {
        capped: `runtime: cli\n${MODEL}budget: { daily_usd: 1, hard: true }\n`,
        other: `runtime: sdk\n${MODEL}`,
      },
      "budget: { monthly_usd: 2, timezone: Europe/Berlin }\n",
    );
    const first = await f.wait(f.trigger("capped", { prompt: "a little" }).id);
    expect(first.costUsd).toBeCloseTo(0.6, 1);
    // Every reply now costs $0.60 and $0.40 is left: claude stops after the first.
    bed.standin.setResponder(
      always(writeFile("note.txt", "x", { usage: { input_tokens: 200_000, output_tokens: 10 } })),
    );
    const cut = await f.wait(f.trigger("capped", { prompt: "keep writing" }).id);
    expect(cut).toMatchObject({ status: "failed", exitReason: "budget" });

    // The fleet's $2 a month: $1.20+ spent by capped; other spends past it, then is refused.
    bed.standin.setResponder(always(textReply("big", { usage: EXPENSIVE })));
    await f.wait(f.trigger("other", { prompt: "big" }).id);
    expect(() => f.trigger("other", { prompt: "more" })).toThrow(
      /^the fleet has spent \$\d+\.\d\d of its monthly budget of \$2\.00 \(resets \d{4}-\d\d-01 00:00 Europe\/Berlin\)/,
    );
    expect(f.status().budgets).toEqual([
      expect.objectContaining({ scope: "fleet", period: "monthly", limitUsd: 2, exceeded: true }),
    ]);
  });
});
