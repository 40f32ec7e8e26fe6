import { describe, expect, it } from "vitest";
import {
  LimitWatch,
  limitSignalOf,
  MAX_PAUSE_MS,
  MIN_PAUSE_MS,
  pauseEnd,
  UNKNOWN_RESET_PAUSE_MS,
} from "../../packages/core/src/usage-limits/detect.js";

// What claude passes on from a 429 is the network's word: hostile shapes must neither throw nor
// pause the fleet for longer than the bound.
const now = new Date("2026-06-01T12:00:00Z");
const event = (info: unknown) => ({ type: "rate_limit_event", rate_limit_info: info });

describe("usage-limit signals from the network", () => {
  it("ignores malformed reset times and events that do not reject", () => {
    for (const resetsAt of ["soon", -5, 0, Number.NaN, Infinity, 1e13, null, {}, "1e9", "12345678901234"])
      expect(limitSignalOf(event({ status: "rejected", resetsAt }))).toBeUndefined();
    expect(limitSignalOf(event({ status: "allowed_warning", resetsAt: 1_800_000_000 }))).toBeUndefined();
    for (const junk of [null, 7, "text", [], { type: "assistant", message: "x", error: "overloaded" }])
      expect(limitSignalOf(junk)).toBeUndefined();
  });

  it("clamps a reset beyond 7 days and says so; a reset in the past still waits a moment", () => {
    const far = limitSignalOf(event({ status: "rejected", resetsAt: 99_999_999_999 }))!;
    expect(pauseEnd(far, now)).toEqual({ until: new Date(now.getTime() + MAX_PAUSE_MS), clamped: true });
    const past = limitSignalOf(event({ status: "rejected", resetsAt: 1_000_000_000 }))!;
    expect(pauseEnd(past, now)).toEqual({ until: new Date(now.getTime() + MIN_PAUSE_MS), clamped: false });
  });

  it("a 429 without a time pauses for the fallback; claude's text is kept to one bounded line", () => {
    const text = `API Error: Request rejected (429)\n\u001b[31m${"x".repeat(5000)}`;
    const signal = limitSignalOf({
      type: "assistant",
      error: "rate_limit",
      api_error_params: { rate_limit_info: { status: "rejected", resetsAt: "later" } },
      message: { content: [{ type: "text", text }, { type: "image" }, "junk"] },
    })!;
    expect(signal.source).toBe("rate_limit_error");
    expect(signal.message).not.toMatch(/[\u0000-\u001f]/);
    expect(signal.message.length).toBeLessThanOrEqual(300);
    expect(pauseEnd(signal, now).until).toEqual(new Date(now.getTime() + UNKNOWN_RESET_PAUSE_MS));
  });

  it("reads the older 'usage limit reached|<epoch>' text and prefers a timed signal over a bare 429", () => {
    const watch = new LimitWatch();
    watch.observe({
      type: "assistant",
      error: "rate_limit",
      message: { content: [{ type: "text", text: "429" }] },
    });
    watch.observe({ type: "result", result: "Claude AI usage limit reached|1780000000" });
    expect(watch.seen).toMatchObject({ resetsAt: new Date(1_780_000_000_000), source: "message_text" });
  });
});
