import { describe, expect, it } from "vitest";
import { WhenSyntaxError } from "../../src/hooks/errors.js";
import { compileWhen, validateWhen } from "../../src/hooks/when.js";
import { hookContext } from "./hook-context.js";

const completed = hookContext();
const failed = hookContext({
  status: "failed",
  exitReason: "error",
  error: "boom",
  costUsd: null,
  summary: null,
});

function matches(expr: string, context = completed): boolean {
  return compileWhen(expr).matches(context);
}

const withMetadata = hookContext({
  metadata: { shouldNotify: true, lowestPrice: 159.99, retailer: "Staples", nested: { level: 2 }, zero: 0 },
});

describe("when: metadata.* and result.* paths, as the reference herdctl's hooks use them", () => {
  it("tests the reference's documented dot paths for truthiness", () => {
    expect(matches("metadata.shouldNotify", withMetadata)).toBe(true);
    expect(matches("metadata.shouldNotify")).toBe(false);
    expect(matches("result.success")).toBe(true);
    expect(matches("result.success", failed)).toBe(false);
    expect(matches("result.error")).toBe(false);
    expect(matches("result.error", failed)).toBe(true);
    expect(matches("result.output")).toBe(true);
  });

  it("compares metadata values of any type, a missing key being null", () => {
    expect(matches("metadata.lowestPrice < 200 && metadata.retailer == 'Staples'", withMetadata)).toBe(true);
    expect(matches("metadata.lowestPrice >= 200", withMetadata)).toBe(false);
    expect(matches("metadata.nested.level == 2", withMetadata)).toBe(true);
    expect(matches("metadata.zero", withMetadata)).toBe(false);
    expect(matches("metadata.absent == null", withMetadata)).toBe(true);
    expect(matches("metadata.shouldNotify == true")).toBe(false);
    // Ordering across types is false at run time, never a coercion.
    expect(matches("metadata.retailer > 5", withMetadata)).toBe(false);
    expect(matches("metadata.shouldNotify.deeper", withMetadata)).toBe(false);
    expect(matches("metadata.constructor", withMetadata)).toBe(false);
  });

  it("compares result fields with their own types", () => {
    expect(matches("result.success == true && result.output != ''")).toBe(true);
    expect(matches('result.error == "boom"', failed)).toBe(true);
    expect(matches("!result.success && status == 'failed'", failed)).toBe(true);
  });

  it('keeps agent == "name" working now that agent is the reference\'s object', () => {
    expect(matches('agent == "triager"')).toBe(true);
    expect(matches('agent.name == "triager" && agent.id == "triager"')).toBe(true);
    expect(matches('agentId == "triager" && scheduleName == "nightly"')).toBe(true);
    expect(matches("durationMs == 60000 && startedAt < completedAt")).toBe(true);
  });
});

describe("when: evaluation", () => {
  it("compares strings with == and !=", () => {
    expect(matches('status == "completed"')).toBe(true);
    expect(matches('status == "failed"')).toBe(false);
    expect(matches('status == "failed"', failed)).toBe(true);
    expect(matches("agent != 'x'")).toBe(true);
    expect(matches('schedule == "nightly"')).toBe(true);
    expect(matches('event == "completed"')).toBe(true);
    expect(matches('fleet == "acme"')).toBe(true);
  });

  it("accepts job fields with and without the job. prefix, and nested token fields", () => {
    expect(matches('job.status == "completed"')).toBe(true);
    expect(matches("job.tokens.input > 1000 && tokens.output < 1000")).toBe(true);
    expect(matches('job.agent == agent && job.trigger_type == "schedule"')).toBe(true);
  });

  it("orders numbers and strings", () => {
    expect(matches("cost_usd > 0.5")).toBe(true);
    expect(matches("cost_usd >= 0.75 && cost_usd <= 0.75")).toBe(true);
    expect(matches("cost_usd < 0.75")).toBe(false);
    expect(matches("duration_ms > -1")).toBe(true);
    expect(matches('started_at < "2024-06-01"')).toBe(true);
    expect(matches('finished_at > "2025"')).toBe(false);
  });

  it("treats null as never ordered and only equal to null", () => {
    expect(matches("cost_usd > 0.5", failed)).toBe(false);
    expect(matches("cost_usd <= 0.5", failed)).toBe(false);
    expect(matches("cost_usd == null", failed)).toBe(true);
    expect(matches("summary != null")).toBe(true);
    expect(matches("summary != null", failed)).toBe(false);
  });

  it("tests a bare field for truthiness (the config's dot-path form)", () => {
    expect(matches("job.error")).toBe(false);
    expect(matches("job.error", failed)).toBe(true);
    expect(matches("!error")).toBe(true);
    expect(matches("!!summary")).toBe(true);
    expect(matches("tokens.cache_read")).toBe(false);
    expect(matches("tokens.cache_creation")).toBe(true);
  });

  it("binds && tighter than || and honours parentheses and !", () => {
    // && binds tighter: false || (true && true) = true; (false || true) && false = false.
    expect(matches('status == "failed" || agent == "triager" && cost_usd > 0.5')).toBe(true);
    expect(matches('(status == "failed" || agent == "triager") && cost_usd > 1')).toBe(false);
    expect(matches('status == "failed" || agent == "triager" && cost_usd > 1')).toBe(false);
    expect(matches('!(status == "failed")')).toBe(true);
    expect(matches("!(cost_usd > 0.5) || num_turns == 4")).toBe(true);
    expect(matches('(((status == "completed")))')).toBe(true);
  });

  it("compares strictly, without coercion", () => {
    expect(matches("(cost_usd > 0.5) == true")).toBe(true);
    expect(matches('summary == "Triaged 3 issues"')).toBe(true);
    expect(matches('summary == "triaged 3 issues"')).toBe(false);
  });

  it("reads string escapes", () => {
    const context = hookContext({ summary: 'said "hi"\n' });
    expect(matches('summary == "said \\"hi\\"\\n"', context)).toBe(true);
    expect(matches("summary == 'said \"hi\"\\n'", context)).toBe(true);
  });
});

describe("when: validation", () => {
  it("returns undefined for a valid filter", () => {
    expect(validateWhen('status == "failed"')).toBeUndefined();
    expect(validateWhen('agent != "x" && cost_usd > 0.5')).toBeUndefined();
  });

  it.each([
    [
      'status = "failed"',
      'when "status = \\"failed\\"": unexpected "=" at column 8; use == to compare values',
    ],
    [
      'status == "failed" & x',
      'when "status == \\"failed\\" & x": unexpected "&" at column 20; use && for "and"',
    ],
    ["a | b", 'when "a | b": unexpected "|" at column 3; use || for "or"'],
    [
      "",
      'when "": the filter is empty at column 1; write a condition such as status == "failed", or remove when',
    ],
    [
      'stauts == "failed"',
      'when "stauts == \\"failed\\"": unknown field "stauts" at column 1; use one of event, fleet, agent, agent.id, agent.name, working_directory, triggerType, id, schedule, trigger_type, status, exit_reason, error, summary, session_id, started_at, finished_at, duration_ms, num_turns, tokens, tokens.input, tokens.output, tokens.cache_read, tokens.cache_creation, cost_usd, agentId, scheduleName, startedAt, completedAt, durationMs, result, result.success, result.output, result.error, metadata, budget, budget.scope, budget.period, budget.limit_usd, budget.spent_usd, budget.resets_at, usage_limit, usage_limit.credential, usage_limit.resets_at, usage_limit.source, usage_limit.agents, approval, approval.id, approval.tool, approval.input, approval.rule, approval.state, approval.requested_at, approval.expires_at, approval.on_timeout, approval.decided_by, approval.decided_via, approval.reason, or metadata.<key>',
    ],
    [
      'status == "faild"',
      'when "status == \\"faild\\"": "faild" is never a value of status at column 11; use one of completed, failed, cancelled, timed_out, interrupted, waiting_approval, running',
    ],
    [
      'cost_usd > "0.5"',
      'when "cost_usd > \\"0.5\\"": cost_usd is a number and "0.5" is a string at column 10; write numbers without quotes and strings in quotes',
    ],
    [
      'cost_usd == "1"',
      'when "cost_usd == \\"1\\"": cost_usd is a number and "1" is a string, so == is always false at column 10; write numbers without quotes and strings in quotes',
    ],
    [
      "tokens > 5",
      'when "tokens > 5": tokens is an object and cannot be compared at column 1; compare one of its fields, e.g. tokens.input',
    ],
    [
      'result.success == "yes"',
      'when "result.success == \\"yes\\"": result.success is a boolean and "yes" is a string, so == is always false at column 16; compare values of the same type',
    ],
    [
      "result.success > 0",
      'when "result.success > 0": > compares numbers or strings, but result.success is a boolean at column 1; compare a number or a string',
    ],
    [
      "result == 1",
      'when "result == 1": result is an object and cannot be compared at column 1; compare one of its fields, e.g. result.success',
    ],
    [
      'usage_limit.agents == "triager"',
      'when "usage_limit.agents == \\"triager\\"": usage_limit.agents is a list and cannot be compared at column 1; compare a single field instead',
    ],
    [
      "metadata != null",
      'when "metadata != null": metadata is an object and cannot be compared at column 1; compare one of its fields, e.g. metadata.shouldNotify',
    ],
    [
      "result.exit_code == 0",
      'when "result.exit_code == 0": unknown field "result.exit_code" at column 1; use one of event, fleet, agent, agent.id, agent.name, working_directory, triggerType, id, schedule, trigger_type, status, exit_reason, error, summary, session_id, started_at, finished_at, duration_ms, num_turns, tokens, tokens.input, tokens.output, tokens.cache_read, tokens.cache_creation, cost_usd, agentId, scheduleName, startedAt, completedAt, durationMs, result, result.success, result.output, result.error, metadata, budget, budget.scope, budget.period, budget.limit_usd, budget.spent_usd, budget.resets_at, usage_limit, usage_limit.credential, usage_limit.resets_at, usage_limit.source, usage_limit.agents, approval, approval.id, approval.tool, approval.input, approval.rule, approval.state, approval.requested_at, approval.expires_at, approval.on_timeout, approval.decided_by, approval.decided_via, approval.reason, or metadata.<key>',
    ],
    [
      "summary > null",
      'when "summary > null": > compares numbers or strings, but null is a null at column 11; compare a number or a string',
    ],
    [
      "1 < cost_usd < 5",
      'when "1 < cost_usd < 5": comparisons cannot be chained at column 14; join them with &&, e.g. cost_usd > 1 && cost_usd < 5',
    ],
    [
      '(status == "failed"',
      'when "(status == \\"failed\\"": expected ")" but found end of the filter at column 20; close the "(" at column 1',
    ],
    [
      'status == "failed',
      'when "status == \\"failed": this string is never closed at column 11; end it with "',
    ],
    [
      'status == "failed" status',
      'when "status == \\"failed\\" status": unexpected "status" at column 20; join conditions with && or ||',
    ],
    [
      "status ==",
      'when "status ==": the filter ends too early at column 10; finish the condition, e.g. status == "failed"',
    ],
    [
      "cost_usd > 1x",
      'when "cost_usd > 1x": "1x" is not a number at column 12; a filter uses fields, "strings", numbers, true, false, null, == != < <= > >=, &&, ||, ! and parentheses',
    ],
    [
      "$(touch /tmp/x)",
      'when "$(touch /tmp/x)": unexpected character "$" at column 1; a filter uses fields, "strings", numbers, true, false, null, == != < <= > >=, &&, ||, ! and parentheses',
    ],
    [
      "constructor",
      'when "constructor": unknown field "constructor" at column 1; use one of event, fleet, agent, agent.id, agent.name, working_directory, triggerType, id, schedule, trigger_type, status, exit_reason, error, summary, session_id, started_at, finished_at, duration_ms, num_turns, tokens, tokens.input, tokens.output, tokens.cache_read, tokens.cache_creation, cost_usd, agentId, scheduleName, startedAt, completedAt, durationMs, result, result.success, result.output, result.error, metadata, budget, budget.scope, budget.period, budget.limit_usd, budget.spent_usd, budget.resets_at, usage_limit, usage_limit.credential, usage_limit.resets_at, usage_limit.source, usage_limit.agents, approval, approval.id, approval.tool, approval.input, approval.rule, approval.state, approval.requested_at, approval.expires_at, approval.on_timeout, approval.decided_by, approval.decided_via, approval.reason, or metadata.<key>',
    ],
  ])("rejects %j", (expr, message) => {
    expect(validateWhen(expr)).toBe(message);
    expect(() => compileWhen(expr)).toThrow(WhenSyntaxError);
  });

  it("limits nesting and length so no input can exhaust the parser", () => {
    const deep = `${"(".repeat(40)}status == "failed"${")".repeat(40)}`;
    expect(validateWhen(deep)).toBe(
      `when ${JSON.stringify(deep)}: nesting is deeper than 32 levels at column 33; simplify the filter`,
    );
    expect(validateWhen("!".repeat(33) + "error")).toMatch(/nesting is deeper than 32 levels at column 33/);
    const long = `summary == "${"x".repeat(1000)}"`;
    expect(validateWhen(long)).toBe(
      `when ${JSON.stringify(long)}: the filter is longer than 1000 characters at column 1001; move the logic into a shell hook`,
    );
  });

  it("reports the column on the error object", () => {
    try {
      compileWhen("status = 1");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WhenSyntaxError);
      expect((error as WhenSyntaxError).column).toBe(8);
      expect((error as WhenSyntaxError).code).toBe("HOOK_WHEN_INVALID");
    }
  });
});
