import { beforeAll, describe, expect, it } from "vitest";
import { localTime, relativeAndLocal } from "../../src/output/format.js";

// Node re-reads TZ when it changes; each test file runs in its own process.
beforeAll(() => {
  process.env.TZ = "Europe/Paris";
});

describe("relativeAndLocal", () => {
  const now = Date.parse("2026-12-01T15:00:00Z"); // a Tuesday; Paris is UTC+1 in winter

  it("gives the relative time and the local wall-clock time with its offset", () => {
    expect(relativeAndLocal("2026-12-02T08:00:00Z", now)).toBe("in 17h (Wed 09:00 +01:00)");
    expect(relativeAndLocal("2026-12-01T15:10:00Z", now)).toBe("in 10m (Tue 16:10 +01:00)");
  });

  it("names the date, not the weekday, beyond the coming days, and follows summer time", () => {
    expect(localTime("2027-07-14T10:30:00Z", now)).toBe("2027-07-14 12:30 +02:00");
  });

  it("prints a dash for no time", () => {
    expect(relativeAndLocal(null, now)).toBe("-");
  });
});
