import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "../../src/hooks/signature.js";

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
});
