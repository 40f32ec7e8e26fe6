import { statSync } from "node:fs";
import { stat } from "node:fs/promises";
import type { StateManager } from "../state/index.js";

/** The database with its write-ahead log and shared-memory file: what it takes on disk. */
export async function databaseBytes(dbPath: string): Promise<number> {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      total += (await stat(dbPath + suffix)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return total;
}

/** The same, synchronously, for `status`. */
export function databaseBytesNow(dbPath: string): number {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      total += statSync(dbPath + suffix).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return total;
}

/**
 * What the state takes: SQLite's files, or on PostgreSQL our tables with their indexes
 * (pg_total_relation_size). Job output files are counted apart, as on SQLite.
 */
export async function stateBytes(state: StateManager): Promise<number> {
  return state.backend.kind === "postgres" ? state.retention.pgBytes() : databaseBytes(state.dbPath);
}

/** The same, synchronously, for `status`. */
export function stateBytesNow(state: StateManager): number {
  return state.backend.kind === "postgres" ? state.retention.pgBytes() : databaseBytesNow(state.dbPath);
}
