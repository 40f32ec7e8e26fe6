import { Worker } from "node:worker_threads";
import { builtWorkerFile } from "../util/worker-file.js";
import type { PruneProgress, PruneReport } from "./prune.js";
import type { PruneWorkerInput, PruneWorkerMessage } from "./prune-worker.js";

/** An error the worker reported, with its code when it had one (STATE_DISK_FULL, …). */
export class PruneFailedError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "PruneFailedError";
  }
}

/**
 * One prune running in a worker thread (prune-worker.ts) while the caller's event loop stays free.
 * `done` settles with the worker's report; `stop` asks it to end after its current step and, if it
 * has not within `graceMs`, ends the thread (SQLite rolls back the transaction it was in).
 */
export class PruneThread {
  readonly startedAt: Date;
  readonly done: Promise<PruneReport>;
  private last: PruneProgress | undefined;
  private readonly worker: Worker;

  constructor(input: PruneWorkerInput) {
    this.startedAt = new Date();
    this.worker = new Worker(builtWorkerFile(import.meta.url, "retention/prune-worker", "prune worker"), {
      workerData: input,
    });
    this.done = new Promise<PruneReport>((resolve, reject) => {
      let settled = false;
      this.worker.on("message", (message: PruneWorkerMessage) => {
        if (message.type === "progress") this.last = message as PruneProgress;
        else if (message.type === "done") {
          settled = true;
          resolve(message.report);
        } else {
          settled = true;
          reject(new PruneFailedError(message.message, message.code));
        }
      });
      this.worker.on("error", (error) => {
        settled = true;
        reject(error);
      });
      this.worker.on("exit", (code) => {
        if (!settled)
          reject(
            new PruneFailedError(
              `the prune's worker thread ended (exit code ${code}) before it reported; nothing after its last finished step was removed, run the prune again`,
              undefined,
            ),
          );
      });
    });
  }

  /** The latest step the worker reported; undefined before its first. */
  get progress(): PruneProgress | undefined {
    return this.last;
  }

  async stop(graceMs: number): Promise<void> {
    this.worker.postMessage("stop");
    let timer: NodeJS.Timeout | undefined;
    const ended = this.done.then(
      () => true,
      () => true,
    );
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    try {
      if (!(await Promise.race([ended, late]))) await this.worker.terminate();
    } finally {
      clearTimeout(timer);
    }
  }
}
