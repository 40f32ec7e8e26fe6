import { describe, expect, it } from "vitest";
import { Redactor } from "../../src/secrets/redactor.js";

describe("Redactor", () => {
  it("replaces the values of secret-looking variables, longest first, and leaves short values alone", () => {
    const r = Redactor.fromEnv({
      ANTHROPIC_API_KEY: "sk-ant-abcdef123456",
      GITHUB_TOKEN: "ghp_0123456789",
      DB_PASSWORD: "abc",
      HOME: "/root/should-stay",
    });
    expect(r.redact("key sk-ant-abcdef123456, gh ghp_0123456789, pw abc, home /root/should-stay")).toBe(
      "key [redacted], gh [redacted], pw abc, home /root/should-stay",
    );
  });

  it("redacts inside nested data, keys untouched", () => {
    const r = new Redactor(["s3cr3t-value"]);
    expect(r.redactDeep({ a: ["x s3cr3t-value y", 3], b: { "s3cr3t-value": "s3cr3t-value" } })).toEqual({
      a: ["x [redacted] y", 3],
      b: { "s3cr3t-value": "[redacted]" },
    });
  });

  it("redacts a secret containing another secret as a whole", () => {
    const r = new Redactor(["abcdef", "abcdef-ghijkl"]);
    expect(r.redact("abcdef-ghijkl")).toBe("[redacted]");
  });
});
