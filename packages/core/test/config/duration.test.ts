import { describe, expect, it } from "vitest";
import { DurationError, parseDuration } from "../../src/config/index.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["15m", 900_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["0s", 0],
    [" 10s ", 10_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["15 minutes", '"15 minutes" is not a duration; use 15m'],
    ["2 hours", '"2 hours" is not a duration; use 2h'],
    ["10 sec", '"10 sec" is not a duration; use 10s'],
    ["600", '"600" is not a duration; use 600s for seconds or 600m for minutes'],
    ["5 m", '"5 m" is not a duration; use 5m'],
    ["soon", '"soon" is not a duration; use a number followed by ms, s, m, h or d, e.g. 15m'],
    ["", '"" is not a duration; use a number followed by ms, s, m, h or d, e.g. 15m'],
    ["-5s", '"-5s" is not a duration; use a number followed by ms, s, m, h or d, e.g. 15m'],
  ])("rejects %j", (text, message) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
    expect(() => parseDuration(text)).toThrow(message);
  });
});
