import { describe, expect, it } from "vitest";
import { loadFleet, REDACTED, redactConfig, withWrittenValues } from "../../src/config/index.js";
import { writeFleet } from "./helpers.js";

describe("config show prints durations as written", () => {
  it("puts the written text back where the schema converted it, in agents and fleet defaults", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "defaults: { timeout: 90s }\nagents: [{ path: a.yaml }]\n",
      "a.yaml":
        "name: a\n" +
        "inactivity_timeout: 1h30m\n" +
        'schedules:\n  "v1.2": { type: interval, interval: 10m, jitter: 500ms }\n' +
        "env: { SLOW_TOKEN: 10m }\n",
    });
    const loaded = await loadFleet(dir, { env: {} });
    expect(loaded.agents[0]?.schedules?.["v1.2"]).toMatchObject({ interval: 600_000, jitter: 500 });
    const shown = withWrittenValues(redactConfig(loaded), loaded.written) as {
      fleet: { defaults: Record<string, unknown> };
      agents: Array<Record<string, unknown> & { schedules: Record<string, Record<string, unknown>> }>;
    };
    expect(shown.fleet.defaults.timeout).toBe("90s");
    expect(shown.agents[0]?.timeout).toBe("90s");
    expect(shown.agents[0]?.inactivity_timeout).toBe("1h30m");
    expect(shown.agents[0]?.schedules["v1.2"]).toMatchObject({ interval: "10m", jitter: "500ms" });
    // Defaults nobody wrote are durations too, in the largest unit that holds them exactly.
    expect(shown.agents[0]?.session).toMatchObject({ timeout: "1d" });
    // Strings stay strings, and redaction still holds.
    expect(shown.agents[0]?.env).toEqual({ SLOW_TOKEN: REDACTED });
    // The machine-readable form keeps milliseconds.
    expect(
      (redactConfig(loaded) as { agents: Array<{ inactivity_timeout: number }> }).agents[0]
        ?.inactivity_timeout,
    ).toBe(5_400_000);
  });
});
