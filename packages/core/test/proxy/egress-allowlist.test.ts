import { describe, expect, it } from "vitest";
import {
  egressAllowed,
  parseEgressRule,
  parseEgressRules,
  ruleCovers,
  suggestedEntry,
} from "../../src/proxy/egress-allowlist.js";
import { forbiddenAddress } from "../../src/proxy/egress-proxy.js";

const rules = parseEgressRules([
  "github.com",
  "registry.npmjs.org",
  "*.example.com:443",
  "git.corp.test:8443",
]);

describe("egress allowlist matching", () => {
  it.each([
    ["github.com", 443, true],
    ["github.com", 80, true],
    ["GitHub.COM.", 443, true],
    ["github.com", 22, false],
    ["api.github.com", 443, false],
    ["evilgithub.com", 443, false],
    ["a.example.com", 443, true],
    ["a.b.example.com", 443, true],
    ["a.example.com", 80, false],
    ["example.com", 443, false],
    ["badexample.com", 443, false],
    ["git.corp.test", 8443, true],
    ["git.corp.test", 443, false],
    ["127.0.0.1", 443, false],
  ])("%s:%i → %s", (host, port, allowed) => {
    expect(egressAllowed(rules, host, port)).toBe(allowed);
  });

  it("allows nothing with an empty list", () => {
    expect(egressAllowed([], "github.com", 443)).toBe(false);
  });

  it.each([
    ["", "is not a host name"],
    ["https://github.com", "is not a host name"],
    ["github.com/path", "is not a host name"],
    ["git*.com", "other than a leading"],
    ["*.com", "whole top-level domain"],
    ["github.com:0", "a port is 1 to 65535"],
    ["github.com:70000", "a port is 1 to 65535"],
  ])("refuses %j (%s)", (entry, message) => {
    const rule = parseEgressRule(entry);
    expect("error" in rule && rule.error).toContain(message);
  });

  it("knows when one rule covers another, for the agent-file narrowing rule", () => {
    const [gh, , wild, corp] = rules;
    const r = (e: string) => parseEgressRules([e])[0]!;
    expect(ruleCovers(gh!, r("github.com"))).toBe(true);
    expect(ruleCovers(gh!, r("github.com:443"))).toBe(true);
    expect(ruleCovers(gh!, r("github.com:22"))).toBe(false);
    expect(ruleCovers(gh!, r("*.github.com"))).toBe(false);
    expect(ruleCovers(wild!, r("a.example.com:443"))).toBe(true);
    expect(ruleCovers(wild!, r("*.x.example.com:443"))).toBe(true);
    expect(ruleCovers(wild!, r("*.example.com:443"))).toBe(true);
    // Without a port an entry means 443 and 80: wider than the fleet's 443.
    expect(ruleCovers(wild!, r("a.example.com"))).toBe(false);
    expect(ruleCovers(corp!, r("git.corp.test"))).toBe(false);
  });

  it("suggests the entry that allows a refused destination", () => {
    expect(suggestedEntry("Blocked.Test", 443)).toBe("blocked.test");
    expect(suggestedEntry("blocked.test", 8080)).toBe("blocked.test:8080");
  });

  it.each([
    ["127.0.0.1", true],
    ["127.8.9.1", true],
    ["169.254.169.254", true],
    ["0.0.0.0", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["fe80::1", true],
    ["140.82.112.3", false],
    ["10.0.0.5", false],
    ["2606:4700::1", false],
  ])("address %s is forbidden: %s", (address, forbidden) => {
    expect(forbiddenAddress(address)).toBe(forbidden);
  });
});
