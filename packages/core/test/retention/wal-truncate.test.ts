import { statSync } from "node:fs";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { openState } from "../state/helpers.js";

function walBytes(dbPath: string): number {
  return statSync(`${dbPath}-wal`).size;
}

// Real SQLite: a prune's freed pages sit in the write-ahead log until a checkpoint empties it.
it("a read of another connection keeps the log from being emptied; truncateWal says so, and empties it once that read ends", () => {
  const { state } = openState(undefined, "sqlite");
  const record = () =>
    state.jobs.create({ agent: "a", triggerType: "manual", prompt: "tick", runtime: "cli" });
  record();
  const reader = new Database(state.dbPath);
  try {
    // A read transaction on a snapshot older than the log's end: the checkpoint cannot pass it.
    reader.exec("BEGIN");
    reader.prepare("SELECT COUNT(*) FROM jobs").get();
    record();
    // Waits out busy_timeout (5 s), as the prune's own checkpoint would.
    expect(state.retention.truncateWal()).toBe(false);
    expect(walBytes(state.dbPath)).toBeGreaterThan(0);
    reader.exec("COMMIT");
    expect(state.retention.truncateWal()).toBe(true);
    expect(walBytes(state.dbPath)).toBe(0);
  } finally {
    reader.close();
  }
}, 30_000);
