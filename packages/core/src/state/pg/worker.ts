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
  // Without a listener a dropped connection would crash the thread; the next call reconnects.
  client.on("error", () => {
    if (entry) entry.broken = true;
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
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
      if (entry.broken) {
        if (!call.reconnect) throw new Error("the connection to PostgreSQL was lost during a transaction");
        entry.client.end().catch(() => {});
        entry.client = await connect(entry.options, entry);
        entry.broken = false;
      }
      const result = await query(entry, call.sql, call.params);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    }
    case "close": {
      const entry = connections.get(call.handle);
      connections.delete(call.handle);
      await entry?.client.end().catch(() => {});
      return {};
    }
  }
});
