/**
 * A prune in a thread of its own, with its own connection to the state database: the daemon's
 * event loop never runs a step of it (under WAL its reads are not blocked by this writer, and its
 * own writes wait at most for one of the prune's short delete transactions). Started by
 * `PruneThread`; takes "stop" to end after the step it is in.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { StateManager } from "../state/index.js";
import { type PruneReport, prune, type RetentionConfig } from "./prune.js";

export interface PruneWorkerInput {
  readonly stateDir: string;
  readonly config: RetentionConfig;
  /** ISO time the limits are counted from (the fleet's clock, not this thread's). */
  readonly now: string;
  readonly dryRun: boolean;
  readonly actor: { via: string; who: string };
}

export type PruneWorkerMessage =
  | { readonly type: "progress"; readonly phase: string; readonly records: number; readonly planned: number }
  | { readonly type: "done"; readonly report: PruneReport }
  | { readonly type: "failed"; readonly message: string; readonly code?: string };

const input = workerData as PruneWorkerInput;
const port = parentPort;
if (!port) throw new Error("prune-worker.js runs as a worker thread started by PruneThread, not on its own");
const stop = new AbortController();
port.on("message", (message) => {
  if (message === "stop") stop.abort();
});
// Listening for "stop" must not keep the thread alive once the prune is over.
port.unref();
const send = (message: PruneWorkerMessage) => port.postMessage(message);

/**
 * On Linux a thread has its own nice value: this one yields the cores to the daemon's thread (and
 * to the jobs' processes) when they want them; a prune is never in a hurry. Elsewhere the
 * thread's id cannot be had and it keeps the process's priority.
 */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 19);
  } catch {
    // Not Linux, or not allowed: the prune runs at the daemon's priority, as before.
  }
}
lowerThreadPriority();

// "header": the daemon checked the database when it opened it; a quick_check here would read all of it again.
const state = new StateManager(input.stateDir, { verify: "header" });
try {
  state.open();
  const report = await prune(state, input.config, {
    now: new Date(input.now),
    dryRun: input.dryRun,
    actor: input.actor,
    signal: stop.signal,
    onProgress: (p) => send({ type: "progress", ...p }),
  });
  send({ type: "done", report });
} catch (error) {
  const code = (error as { code?: unknown }).code;
  send({ type: "failed", message: (error as Error).message, ...(typeof code === "string" ? { code } : {}) });
} finally {
  state.close();
}
