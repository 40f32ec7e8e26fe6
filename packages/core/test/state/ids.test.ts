import { describe, expect, it } from "vitest";
import { InvalidIdError } from "../../src/state/errors.js";
import {
  assertAgentName,
  assertJobId,
  assertSessionId,
  isAgentName,
  isJobId,
  isSessionId,
  mintJobId,
} from "../../src/state/ids.js";
import { caught } from "./helpers.js";

describe("job ids", () => {
  it("mints job-YYYYMMDDHHMMSS-xxxxxx in UTC", () => {
    const id = mintJobId(new Date("2025-03-04T05:06:07.890Z"));
    expect(id).toMatch(/^job-20250304050607-[a-z0-9]{6}$/);
    expect(isJobId(id)).toBe(true);
  });

  it("sorts by creation time", () => {
    const ids = [
      mintJobId(new Date("2024-12-31T23:59:59Z")),
      mintJobId(new Date("2025-01-01T00:00:00Z")),
      mintJobId(new Date("2025-01-01T00:00:01Z")),
    ];
    expect([...ids].reverse().sort()).toEqual(ids);
  });

  it("mints distinct ids within one second", () => {
    const now = new Date("2025-01-01T00:00:00Z");
    const ids = new Set(Array.from({ length: 1000 }, () => mintJobId(now)));
    expect(ids.size).toBe(1000);
  });

  it.each([
    "../etc",
    "job-20250101000000-ABCDEF",
    "job-20250101000000-abcde",
    "job-2025010100000-abcdef",
    "job-20250101000000-abcdef/..",
    "job-20250101000000-abcdef\n",
    "",
  ])("rejects %j", (value) => {
    expect(isJobId(value)).toBe(false);
    expect(() => assertJobId(value)).toThrow(InvalidIdError);
  });

  it("explains the expected format", () => {
    expect(() => assertJobId("../etc")).toThrow(
      'Invalid job id "../etc": expected job-YYYYMMDDHHMMSS-xxxxxx with 6 characters a-z or 0-9 ' +
        "(e.g. job-20250102030405-a1b2c3).",
    );
    const error = caught(() => assertJobId(42));
    expect(error).toBeInstanceOf(InvalidIdError);
    expect(error).toMatchObject({ code: "STATE_INVALID_ID", kind: "job id", value: 42 });
  });
});

describe("agent names", () => {
  it.each(["triager", "Triager_2", "a", "9lives", "web-crawler", "team.triager", "org.team.agent-1"])(
    "accepts %j",
    (name) => {
      expect(isAgentName(name)).toBe(true);
      expect(assertAgentName(name)).toBe(name);
    },
  );

  it.each(["", "-lead", "_x", "../etc", "a/b", "a..b", ".a", "a.", "a b", "a.-b", "x".repeat(129)])(
    "rejects %j",
    (name) => {
      expect(isAgentName(name)).toBe(false);
    },
  );

  it("explains the rule", () => {
    expect(() => assertAgentName("../etc")).toThrow(
      'Invalid agent name "../etc": use letters, digits, "_" and "-", starting with a letter or digit, ' +
        "at most 128 characters, optionally qualified with dots (e.g. team.triager).",
    );
  });
});

describe("session ids", () => {
  it("accepts UUIDs in either case", () => {
    expect(isSessionId("123e4567-e89b-12d3-a456-426614174000")).toBe(true);
    expect(isSessionId("123E4567-E89B-12D3-A456-426614174000")).toBe(true);
  });

  it("rejects anything else", () => {
    expect(isSessionId("123e4567e89b12d3a456426614174000")).toBe(false);
    expect(isSessionId("../123e4567-e89b-12d3-a456-426614174000")).toBe(false);
    expect(() => assertSessionId("nope")).toThrow(
      'Invalid session id "nope": expected a UUID (e.g. 123e4567-e89b-12d3-a456-426614174000).',
    );
  });
});
