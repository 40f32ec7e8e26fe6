// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test contains literal ${VAR} references
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadFleet, redactConfig } from "../../src/config/index.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { POSTGRES_MISSING } from "../../src/state/manager.js";
import { problems, writeFleet } from "../config/helpers.js";

const PASSWORD = "pw-Zq81-secret";
const URL_ENV = { DATABASE_URL: `postgres://herd:${PASSWORD}@db.internal:5432/herd` };

function fleetWith(state: string): string {
  return writeFleet({ "herdctl.yaml": `fleet: { name: acme }\nstate:\n${state}\nagents: []\n` });
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("state.backend and state.url in the fleet file", () => {
  it("reads a postgres backend whose url comes from ${DATABASE_URL}", async () => {
    const loaded = await loadFleet(fleetWith("  backend: postgres\n  url: ${DATABASE_URL}"), {
      env: URL_ENV,
    });
    expect(loaded.fleet.state).toEqual({ backend: "postgres", url: URL_ENV.DATABASE_URL });
  });

  it("leaves SQLite the default: no state key, or retention only", async () => {
    const loaded = await loadFleet(fleetWith("  retention: { jobs: 30d }"), { env: {} });
    expect(loaded.fleet.state).toBeUndefined();
  });

  it("names the key and what to do for a missing url, a url without the backend, and a bad url", async () => {
    expect(await problems(fleetWith("  backend: postgres"))).toEqual([
      expect.stringMatching(/herdctl\.yaml:\d+:\d+ state\.url: backend postgres needs a url/),
    ]);
    expect(await problems(fleetWith("  url: ${DATABASE_URL}"), URL_ENV)).toEqual([
      expect.stringMatching(/state\.backend: a url is set but the backend is sqlite/),
    ]);
    const bad = await problems(fleetWith("  backend: postgres\n  url: ${DATABASE_URL}"), {
      DATABASE_URL: `mysql://herd:${PASSWORD}@db.internal/herd`,
    });
    expect(bad).toEqual([expect.stringMatching(/state\.url: is a mysql URL, not a postgres:\/\/ one/)]);
    expect(bad.join("\n")).not.toContain(PASSWORD);
  });

  it("shows the url without its password in config show, and counts the password as a secret", async () => {
    const loaded = await loadFleet(fleetWith("  backend: postgres\n  url: ${DATABASE_URL}"), {
      env: URL_ENV,
    });
    const shown = JSON.stringify(redactConfig(loaded));
    expect(shown).toContain("postgres://herd:***@db.internal:5432/herd");
    expect(shown).not.toContain(PASSWORD);
    expect(loaded.secretValues).toContain(PASSWORD);
  });

  it("start refuses the postgres backend while parts of the contract are missing, naming them, not the url", async () => {
    const dir = fleetWith("  backend: postgres\n  url: ${DATABASE_URL}");
    // The daemon interpolates the fleet file from its own environment.
    vi.stubEnv("DATABASE_URL", URL_ENV.DATABASE_URL);
    const fleet = new FleetManager({ config: dir, watchConfig: false });
    const start = () =>
      fleet.start().then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
    const refused = await start();
    expect(refused?.code).toBe("STATE_BACKEND_INCOMPLETE");
    for (const part of POSTGRES_MISSING) expect(refused?.message).toContain(part);
    expect(refused?.message).toContain("Remove state.backend");
    expect(refused?.message).not.toContain(PASSWORD);
    // The state directory's lock was let go: a second try is refused for the same reason.
    expect((await start())?.code).toBe("STATE_BACKEND_INCOMPLETE");
  });
});
