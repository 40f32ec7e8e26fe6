import pg from "pg";
import { runAsWorker } from "synckit";
import type { PgCall, PgOpen, PgReply } from "./protocol.js";

/**
 * The worker thread behind SyncPgClient: it owns the `pg` connections and runs each call while
 * the main thread waits on it (synckit). One connection per handle is enough: the main thread
 * makes one call at a time, so a pool would never lend a second connection.
 */

// COUNT(*), SUM over integers and BIGINT columns come back as strings by default; SQLite gives
// numbers, and every value herdctl keeps fits in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

interface Connection {
  readonly options: PgOpen;
  client: pg.Client;
  broken: boolean;
  /** Run on every new connection (PgEveryConnect). */
  setup?: { sql: string; params: readonly unknown[] };
  /** A lost connection with a setup being replaced at once; a call waits for that one try. */
  reviving?: Promise<void>;
  closed?: boolean;
}

const connections = new Map<number, Connection>();
let nextHandle = 1;

async function connect(options: PgOpen, entry?: Connection): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // The server ends a statement that runs too long; the client gives up on one whose answer
    // does not come (a cut network), a little later so the server's error wins when it can.
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1_000,
    keepAlive: true,
    application_name: "herdctl",
  });
  // Without a listener a dropped connection would crash the thread; the next call reconnects,
  // or at once when the connection holds something for the session (its setup).
  const lost = () => {
    if (!entry || retired.has(client) || entry.client !== client || entry.closed) return;
    entry.broken = true;
    if (entry.setup) entry.reviving ??= revive(entry).finally(() => (entry.reviving = undefined));
  };
  client.on("error", lost);
  client.on("end", lost);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}

/** One try at a new connection with its setup; a failure leaves it broken for the next call. */
async function revive(entry: Connection): Promise<void> {
  try {
    await replace(entry);
  } catch {
    // The next call tries again (and fails with the server's reason if it is still away).
  }
}

/** Connections replaced: their own end is no loss. */
const retired = new WeakSet<pg.Client>();

async function replace(entry: Connection): Promise<void> {
  retired.add(entry.client);
  entry.client.end().catch(() => {});
  const client = await connect(entry.options, entry);
  entry.client = client;
  entry.broken = false;
  if (entry.setup) await client.query(entry.setup.sql, entry.setup.params as unknown[]).catch(() => {});
}

async function query(entry: Connection, sql: string, params: readonly unknown[]) {
  try {
    return await entry.client.query(sql, params as unknown[]);
  } catch (error) {
    // A server error (SQLSTATE) leaves the connection usable; anything else (a timeout, a reset)
    // may leave it mid-protocol, so it is replaced before the next call.
    if (
      typeof (error as { code?: unknown }).code !== "string" ||
      !/^[0-9A-Z]{5}$/.test((error as { code: string }).code)
    )
      entry.broken = true;
    throw error;
  }
}

runAsWorker(async (call: PgCall): Promise<PgReply> => {
  switch (call.op) {
    case "open": {
      const entry: Connection = { options: call, client: undefined as unknown as pg.Client, broken: false };
      entry.client = await connect(call, entry);
      const handle = nextHandle++;
      connections.set(handle, entry);
      return { handle };
    }
    case "query": {
      const entry = connections.get(call.handle);
      if (!entry) throw new Error(`no open Postgres connection ${call.handle}`);
      if (entry.reviving) await entry.reviving;
      if (entry.broken) {
        if (!call.reconnect) throw new Error("the connection to PostgreSQL was lost during a transaction");
        await replace(entry);
      }
      const result = await query(entry, call.sql, call.params);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    }
    case "every-connect": {
      const entry = connections.get(call.handle);
      if (!entry) throw new Error(`no open Postgres connection ${call.handle}`);
      if (entry.reviving) await entry.reviving;
      if (entry.broken) await replace(entry);
      entry.setup = { sql: call.sql, params: call.params };
      const result = await query(entry, call.sql, call.params);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    }
    case "close": {
      const entry = connections.get(call.handle);
      connections.delete(call.handle);
      if (entry) entry.closed = true;
      await entry?.client.end().catch(() => {});
      return {};
    }
  }
});
