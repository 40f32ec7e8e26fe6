/**
 * A prune in a thread of its own, with its own connection to the state database: the daemon's
 * event loop never runs a step of it (under WAL its reads are not blocked by this writer, and its
 * own writes wait at most for one of the prune's short delete transactions). Started by
 * `PruneThread`; takes "stop" to end after the step it is in.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type StateBackend, StateManager } from "../state/index.js";
import { type PruneReport, prune, type RetentionConfig } from "./prune.js";

export interface PruneWorkerInput {
  readonly stateDir: string;
  /** The daemon's backend: its Postgres URL (a secret) stays inside the process. SQLite when absent. */
  readonly backend?: StateBackend;
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

// The thread keeps the daemon's priority on purpose. A lower one (nice 19 was tried) starves it on
// a busy machine while it holds SQLite's write lock between a delete and its commit, and every
// write of the daemon's then waits out busy_timeout on the event loop: priority inversion. The
// gaps it leaves between transactions give the daemon its turn instead.

// "header": the daemon checked the database when it opened it; a quick_check here would read all of it again.
const state = new StateManager(input.stateDir, { verify: "header", backend: input.backend });
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
