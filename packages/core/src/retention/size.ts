import { statSync } from "node:fs";
import { stat } from "node:fs/promises";

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
