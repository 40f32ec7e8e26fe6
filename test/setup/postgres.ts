import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { SyncPgClient } from "../../packages/core/src/state/pg/sync-client.js";

/**
 * Where the tests find PostgreSQL: the cluster, role and database scripts/setup-machine.sh makes
 * (test-only credentials, 127.0.0.1), or HERDCTL_TEST_PG_URL. Each test file that calls
 * `postgresDatabase()` gets a database of its own, created before its tests and dropped after,
 * so files running side by side never see each other's tables.
 */
const DEFAULT_URL = "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const PREFIX = "herdctl_t_";

function adminUrl(): string {
  return process.env.HERDCTL_TEST_PG_URL ?? DEFAULT_URL;
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  const u = new URL(url);
  u.password = "";
  return u.toString();
}

/**
 * A connection as the test role, or an error saying how to get PostgreSQL running (no test is
 * skipped for want of it). The message never shows the password.
 */
export async function connectAsTestRole(url = adminUrl()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    throw new Error(
      `PostgreSQL for the tests is not reachable at ${shown(url)} (${(err as Error).message}): ` +
        "run `bash scripts/setup-machine.sh` (as root) to install and start it and create the test " +
        "role, or set HERDCTL_TEST_PG_URL to a server where that role may create databases",
    );
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectAsTestRole();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Databases this helper made in processes that are gone (a killed test run) are dropped. */
async function dropOrphans(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "select datname from pg_database where datname like $1",
    [`${PREFIX}%`],
  );
  for (const { datname } of rows) {
    const pid = Number(datname.slice(PREFIX.length).split("_")[0]);
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    await client.query(`drop database if exists "${datname}" with (force)`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface TestDatabase {
  /** postgres:// URL of this file's own database (valid inside its tests and hooks). */
  readonly url: string;
}

/** Registers hooks giving the calling test file a fresh database; call at the file's top level. */
export function postgresDatabase(): TestDatabase {
  const name = `${PREFIX}${process.pid}_${randomBytes(4).toString("hex")}`;
  let url: string | undefined;
  beforeAll(async () => {
    await admin(async (client) => {
      await dropOrphans(client);
      await client.query(`create database "${name}"`);
    });
    const u = new URL(adminUrl());
    u.pathname = `/${name}`;
    url = u.toString();
  });
  afterAll(async () => {
    if (url === undefined) return;
    url = undefined;
    // `with (force)` ends connections a killed child process left behind. It refuses while an
    // autovacuum worker is in the database (a process of no role the test role may end: SQLSTATE
    // 42501), which a file with much churn meets now and then; that worker is gone within moments.
    await admin(async (client) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(`drop database if exists "${name}" with (force)`);
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== "42501" || attempt >= 40) throw err;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    });
  });
  return {
    get url() {
      if (url === undefined)
        throw new Error("postgresDatabase(): the database exists only inside the file's tests");
      return url;
    },
  };
}

const SCHEMA_PREFIX = "herdctl_s_";
let schemaOrphansDropped = false;

/**
 * A schema of its own in the test database, made and dropped synchronously (StateManager opens
 * synchronously, inside a test): one per test is far cheaper than a database per test. `url`
 * connects with that schema as the search path, so every table herdctl makes lands in it.
 */
export function postgresSchema(): { readonly url: string; drop(): void } {
  const name = `${SCHEMA_PREFIX}${process.pid}_${randomBytes(4).toString("hex")}`;
  const client = new SyncPgClient(adminUrl());
  try {
    if (!schemaOrphansDropped) {
      schemaOrphansDropped = true;
      const { rows } = client.query<{ nspname: string }>(
        "select nspname from pg_namespace where nspname like ?",
        [`${SCHEMA_PREFIX}%`],
      );
      for (const { nspname } of rows) {
        const pid = Number(nspname.slice(SCHEMA_PREFIX.length).split("_")[0]);
        if (Number.isInteger(pid) && !isAlive(pid)) client.exec(`drop schema if exists "${nspname}" cascade`);
      }
    }
    client.exec(`create schema "${name}"`);
  } finally {
    client.close();
  }
  const u = new URL(adminUrl());
  u.searchParams.set("options", `-c search_path=${name}`);
  return {
    url: u.toString(),
    drop() {
      const admin = new SyncPgClient(adminUrl());
      try {
        admin.exec(`drop schema if exists "${name}" cascade`);
      } finally {
        admin.close();
      }
    },
  };
}
