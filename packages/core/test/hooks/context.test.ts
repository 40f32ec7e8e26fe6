import { describe, expect, it } from "vitest";
import { buildHookContext } from "../../src/hooks/context.js";
import { HookContextError } from "../../src/hooks/errors.js";
import { Redactor } from "../../src/secrets/redactor.js";
import { finishedJob } from "./hook-context.js";

const agent = { name: "triager", fleetName: "acme", working_directory: "/srv/triager" };

describe("buildHookContext", () => {
  it("maps a finished job to the snake_case wire shape, leaving out the prompt and process details", () => {
    const context = buildHookContext(
      finishedJob({ status: "timed_out", exitReason: "timeout", error: "took too long" }),
      agent,
    );
    expect(context).toEqual({
      event: "timed_out",
      fleet: "acme",
      agent: { id: "triager", name: "triager" },
      working_directory: "/srv/triager",
      triggerType: "schedule",
      job: {
        id: "job-2024-01-01-abc123",
        agent: "triager",
        schedule: "nightly",
        trigger_type: "schedule",
        status: "timed_out",
        exit_reason: "timeout",
        error: "took too long",
        summary: "Triaged 3 issues",
        session_id: "0d6c2a52-5f7e-4d0c-9d3a-2b0c9f7f1e11",
        started_at: "2024-01-01T00:00:01.000Z",
        finished_at: "2024-01-01T00:01:01.000Z",
        duration_ms: 60000,
        num_turns: 4,
        tokens: { input: 1200, output: 340, cache_read: 0, cache_creation: 10 },
        cost_usd: 0.75,
        agentId: "triager",
        scheduleName: "nightly",
        startedAt: "2024-01-01T00:00:01.000Z",
        completedAt: "2024-01-01T00:01:01.000Z",
        durationMs: 60000,
      },
      result: { success: false, output: "Triaged 3 issues", error: "took too long" },
    });
    expect(JSON.stringify(context)).not.toContain("prompt");
  });

  it("adds the reference's fields, leaving its optional ones out when empty", () => {
    const manual = buildHookContext(
      finishedJob({ schedule: null, triggerType: "manual", summary: null, metadata: { shouldNotify: true } }),
      agent,
    );
    expect(manual.job).not.toHaveProperty("scheduleName");
    expect(manual.result).toEqual({ success: true, output: "" });
    expect(manual.metadata).toEqual({ shouldNotify: true });
    expect(manual.triggerType).toBe("manual");

    // Cancelled while queued: never started, and no error text of its own.
    const queued = buildHookContext(
      finishedJob({ status: "cancelled", startedAt: null, durationMs: null, error: null, metadata: null }),
      agent,
    );
    expect(queued.job).toMatchObject({
      started_at: null,
      startedAt: "2024-01-01T00:00:00.000Z",
      completedAt: "2024-01-01T00:01:01.000Z",
      durationMs: 61_000,
    });
    expect(queued.result).toEqual({
      success: false,
      output: "Triaged 3 issues",
      error: "the job ended cancelled",
    });
    expect(queued).not.toHaveProperty("metadata");
  });

  it("scrubs secrets from the job's free text", () => {
    const redactor = new Redactor(["ghp_leakedtoken"]);
    const context = buildHookContext(
      finishedJob({
        status: "failed",
        error: "auth ghp_leakedtoken refused",
        summary: "used ghp_leakedtoken",
      }),
      agent,
      { redactor },
    );
    expect(context.job.error).toBe("auth [redacted] refused");
    expect(context.job.summary).toBe("used [redacted]");
    expect(context.result).toEqual({
      success: false,
      output: "used [redacted]",
      error: "auth [redacted] refused",
    });
  });

  it("refuses a job that has not ended", () => {
    expect(() => buildHookContext(finishedJob({ status: "running" }), agent)).toThrow(
      new HookContextError("job-2024-01-01-abc123", "running"),
    );
    expect(() => buildHookContext(finishedJob({ status: "running" }), agent)).toThrow(
      "Job job-2024-01-01-abc123 is still running; hooks run only after a job ends. Build the hook context once it has a terminal status.",
    );
  });
});
