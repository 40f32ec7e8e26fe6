import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe } from "vitest";
import { postgresSchema } from "../../../../test/setup/postgres.js";
import { StateManager } from "../../src/state/manager.js";

export interface FakeClock {
  now: () => Date;
  advance(ms: number): void;
  set(iso: string): void;
}

export function fakeClock(start = "2025-01-02T03:04:05.000Z"): FakeClock {
  let current = Date.parse(start);
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
    set(iso) {
      current = Date.parse(iso);
    },
  };
}

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "herdctl-state-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type Backend = "sqlite" | "postgres";
export const BACKENDS: readonly Backend[] = ["sqlite", "postgres"];
let currentBackend: Backend = "sqlite";

/**
 * The same tests once per state backend: inside `body`, openState() opens the backend of the
 * run it is in. The state contract is what passes on both.
 */
export function describeBackends(name: string, body: (backend: Backend) => void): void {
  describe.each(BACKENDS)(`${name} [%s]`, (backend) => {
    beforeEach(() => {
      currentBackend = backend;
    });
    afterEach(() => {
      currentBackend = "sqlite";
    });
    body(backend);
  });
}

/**
 * An opened StateManager, closed after the test: on a real SQLite file in a temp directory, or
 * (inside describeBackends' postgres run) on a schema of its own in the test PostgreSQL
 * (test/setup/postgres.ts), dropped after. Job output is in the temp directory either way.
 */
export function openState(
  clock: FakeClock = fakeClock(),
  backend: Backend = currentBackend,
): {
  state: StateManager;
  clock: FakeClock;
  dir: string;
  /** The Postgres URL (with its own search path) on the postgres backend. */
  url?: string;
} {
  const dir = join(tempDir(), ".herdctl");
  let state: StateManager;
  let url: string | undefined;
  if (backend === "postgres") {
    const schema = postgresSchema();
    url = schema.url;
    cleanups.push(() => schema.drop());
    state = new StateManager(dir, {
      clock: clock.now,
      backend: { kind: "postgres", url: schema.url, partial: true },
    });
  } else {
    state = new StateManager(dir, { clock: clock.now });
  }
  state.open();
  cleanups.push(() => state.close());
  return { state, clock, dir, url };
}

/** The error `fn` throws; fails the test if it returns normally. */
export function caught(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected the call to throw, but it returned");
}
