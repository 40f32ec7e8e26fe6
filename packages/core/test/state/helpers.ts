import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe } from "vitest";
import { postgresSchema } from "../../../../test/setup/postgres.js";
import { StateManager } from "../../src/state/manager.js";
import { SyncPgClient } from "../../src/state/pg/sync-client.js";

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
 * One migrated schema per test file, emptied before each test that uses it: making and migrating
 * a schema per test took ~5× as long (1.6–3.4 s against 0.2–0.6 s at load average 13). A second
 * openState in the same test gets a schema of its own, as it would get a directory of its own.
 */
let shared: { url: string; drop(): void; client: SyncPgClient; reset?: string } | undefined;
let sharedInUse = false;

afterAll(() => {
  shared?.client.close();
  shared?.drop();
  shared = undefined;
});

function postgresStateUrl(): string {
  if (sharedInUse) {
    const own = postgresSchema();
    cleanups.push(() => own.drop());
    return own.url;
  }
  sharedInUse = true;
  cleanups.push(() => {
    sharedInUse = false;
  });
  if (shared === undefined) {
    const schema = postgresSchema();
    shared = { ...schema, client: new SyncPgClient(schema.url) };
    return schema.url;
  }
  shared.reset ??= resetSql(shared.client);
  // Undefined until a test has opened (and so migrated) the schema: nothing to empty yet.
  if (shared.reset !== undefined) shared.client.exec(shared.reset);
  return shared.url;
}

/** Empties every table as a new database has it: ids restart, the audit checkpoint at its start. */
function resetSql(client: SyncPgClient): string | undefined {
  const tables = client
    .query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()
       AND table_name NOT IN ('schema_migrations', 'audit_checkpoint')`,
    )
    .rows.map((t) => t.name);
  if (tables.length === 0) return undefined;
  // The checkpoint's triggers refuse a second row and a move backwards; the tables are the test
  // role's own, so it may switch them off for the reset.
  return `TRUNCATE ${tables.join(", ")} RESTART IDENTITY CASCADE;
    ALTER TABLE audit_checkpoint DISABLE TRIGGER USER;
    DELETE FROM audit_checkpoint;
    INSERT INTO audit_checkpoint (id, through_seq, through_hash, at) VALUES (1, 0, '${"0".repeat(64)}', '1970-01-01T00:00:00.000Z');
    ALTER TABLE audit_checkpoint ENABLE TRIGGER USER`;
}

/**
 * An opened StateManager, closed after the test: on a real SQLite file in a temp directory, or
 * (inside describeBackends' postgres run) on the test file's schema in the test PostgreSQL
 * (test/setup/postgres.ts), emptied first. Job output is in the temp directory either way.
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
    url = postgresStateUrl();
    state = new StateManager(dir, {
      clock: clock.now,
      backend: { kind: "postgres", url },
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
