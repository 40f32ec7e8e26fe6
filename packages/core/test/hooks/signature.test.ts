import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signBody, signTimestamped, verifySignature, verifyTimestamped } from "../../src/hooks/signature.js";

describe("signature", () => {
  const body = '{"event":"completed","job":{"id":"j-1"}}';

  it("is sha256=<hex HMAC-SHA256 of the exact body>", () => {
    const expected = createHmac("sha256", "k3y-value").update(body).digest("hex");
    expect(signBody(body, "k3y-value")).toBe(`sha256=${expected}`);
    expect(signBody(Buffer.from(body), "k3y-value")).toBe(`sha256=${expected}`);
  });

  it("verifies its own signatures, in either hex case", () => {
    const signature = signBody(body, "k3y-value");
    expect(verifySignature(body, "k3y-value", signature)).toBe(true);
    expect(
      verifySignature(Buffer.from(body), "k3y-value", signature.toUpperCase().replace("SHA256=", "sha256=")),
    ).toBe(true);
  });

  it.each([
    ["a changed body", `${body} `, "k3y-value", signBody(body, "k3y-value")],
    ["the wrong secret", body, "other-key", signBody(body, "k3y-value")],
    ["an empty secret", body, "", signBody(body, "")],
    ["a missing header", body, "k3y-value", undefined],
    ["a null header", body, "k3y-value", null],
    ["another algorithm", body, "k3y-value", signBody(body, "k3y-value").replace("sha256=", "sha1=")],
    ["a truncated digest", body, "k3y-value", signBody(body, "k3y-value").slice(0, -2)],
    ["non-hex", body, "k3y-value", `sha256=${"z".repeat(64)}`],
  ])("rejects %s", (_what, text, secret, header) => {
    expect(verifySignature(text, secret, header)).toBe(false);
  });

  describe("timestamped (herdctl's scheme)", () => {
    const now = new Date("2026-12-01T15:00:00Z");
    const ts = Math.floor(now.getTime() / 1000);

    it("is sha256=<hex HMAC-SHA256 of '<timestamp>.<body>'>", () => {
      const expected = createHmac("sha256", "k3y-value").update(`${ts}.${body}`).digest("hex");
      expect(signTimestamped(body, "k3y-value", ts)).toBe(`sha256=${expected}`);
      const headers = { signature: `sha256=${expected}`, timestamp: String(ts) };
      expect(verifyTimestamped(body, "k3y-value", headers, now)).toEqual({ ok: true, timestamp: ts });
    });

    it("accepts up to 5 minutes of skew either way and refuses more", () => {
      const at = (t: number) => ({ signature: signTimestamped(body, "k3y-value", t), timestamp: String(t) });
      expect(verifyTimestamped(body, "k3y-value", at(ts - 300), now).ok).toBe(true);
      expect(verifyTimestamped(body, "k3y-value", at(ts + 300), now).ok).toBe(true);
      expect(verifyTimestamped(body, "k3y-value", at(ts - 301), now)).toEqual({
        ok: false,
        reason: "stale",
        skewSeconds: 301,
      });
      expect(verifyTimestamped(body, "k3y-value", at(ts + 301), now)).toMatchObject({ reason: "stale" });
    });

    it.each([
      [
        "no timestamp",
        { signature: signTimestamped(body, "k3y-value", ts), timestamp: undefined },
        "missing_timestamp",
      ],
      [
        "a non-numeric timestamp",
        { signature: signTimestamped(body, "k3y-value", ts), timestamp: "soon" },
        "missing_timestamp",
      ],
      [
        "a body-only signature",
        { signature: signBody(body, "k3y-value"), timestamp: String(ts) },
        "bad_signature",
      ],
      [
        "another timestamp than signed",
        { signature: signTimestamped(body, "k3y-value", ts), timestamp: String(ts - 1) },
        "bad_signature",
      ],
    ])("refuses %s", (_what, headers, reason) => {
      expect(verifyTimestamped(body, "k3y-value", headers, now)).toMatchObject({ ok: false, reason });
    });
  });
});
