// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test contains literal ${VAR} references

import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadFleet, redactConfig } from "../../src/config/index.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
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

  it("start on a postgres backend it cannot reach says which server (not the password) and lets the state directory go", async () => {
    // A port on 127.0.0.1 nothing listens on: taken, then let go.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const dir = fleetWith("  backend: postgres\n  url: ${DATABASE_URL}");
    // The daemon interpolates the fleet file from its own environment.
    vi.stubEnv("DATABASE_URL", `postgres://herd:${PASSWORD}@127.0.0.1:${port}/herd`);
    const fleet = new FleetManager({ config: dir, watchConfig: false });
    const start = () =>
      fleet.start().then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
    const refused = await start();
    expect(refused?.code).toBe("STATE_UNREACHABLE");
    expect(refused?.message).toContain(`127.0.0.1:${port}`);
    expect(refused?.message).not.toContain(PASSWORD);
    // The state directory's lock was let go: a second try fails for the same reason, not STATE_LOCKED.
    expect((await start())?.code).toBe("STATE_UNREACHABLE");
  });
});
