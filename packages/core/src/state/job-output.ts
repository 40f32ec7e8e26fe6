import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CorruptOutputError, DiskFullError, isDiskFull } from "./errors.js";
import { assertJobId } from "./ids.js";

export interface JobOutputLine {
  /** 0-based line number in the job's output file. */
  readonly line: number;
  readonly message: unknown;
}

export interface ReadOutputOptions {
  /** First line to return (0-based); 0 by default. */
  readonly fromLine?: number;
}

export interface FollowOutputOptions extends ReadOutputOptions {
  /** Ends the iteration (without error) when aborted. */
  readonly signal?: AbortSignal;
  /** Poll period; 200 ms by default. */
  readonly intervalMs?: number;
  /** Checked after each poll; once true, the remaining lines are read and the iteration ends. */
  readonly isDone?: () => boolean;
}

const NEWLINE = 0x0a;

/**
 * `jobs/<job-id>.jsonl`: one JSON message per line. Each message is one write of one complete
 * line, so a reader polling the file sees whole lines or nothing, and only complete lines (ending
 * in a newline) are ever returned.
 */
export class JobOutputStore {
  /**
   * Followers in this process, woken by `append` so they see a line at once; polling stays for
   * lines written by another process (a one-off `herdctl trigger`).
   */
  private readonly followers = new Map<string, Set<() => void>>();

  constructor(readonly jobsDir: string) {}

  private wake(jobId: string): void {
    const set = this.followers.get(jobId);
    if (set) for (const wake of [...set]) wake();
  }

  /** Resolves on the next append to the job, after `ms`, or on abort, whichever comes first. */
  private nextAppend(jobId: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const set = this.followers.get(jobId) ?? new Set<() => void>();
      this.followers.set(jobId, set);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        set.delete(done);
        if (set.size === 0 && this.followers.get(jobId) === set) this.followers.delete(jobId);
        resolve();
      };
      // A referenced timer on purpose: `herdctl logs -f` has nothing else keeping it alive.
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  pathFor(jobId: string): string {
    return join(this.jobsDir, `${assertJobId(jobId)}.jsonl`);
  }

  append(jobId: string, message: unknown): void {
    const path = this.pathFor(jobId);
    const json = JSON.stringify(message) as string | undefined;
    if (json === undefined)
      throw new TypeError(`job output message must be JSON-serialisable, got ${typeof message}`);
    const line = Buffer.from(`${json}\n`, "utf8");
    let fd: number | undefined;
    let sizeBefore = 0;
    try {
      fd = openSync(path, "a");
      sizeBefore = fstatSync(fd).size;
      let written = 0;
      while (written < line.length) written += writeSync(fd, line, written);
    } catch (error) {
      // A short write followed by ENOSPC would leave half a line; cut back to the last whole one.
      if (fd !== undefined) {
        try {
          ftruncateSync(fd, sizeBefore);
        } catch {}
      }
      throw isDiskFull(error) ? new DiskFullError(path, { cause: error }) : error;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.wake(jobId);
  }

  /** Complete lines from `fromLine` on; a job with no output yet has an empty list. */
  read(jobId: string, options: ReadOutputOptions = {}): JobOutputLine[] {
    const path = this.pathFor(jobId);
    const chunk = readCompleteLines(path, 0);
    return parseLines(path, chunk.text, 0).slice(options.fromLine ?? 0);
  }

  /**
   * Yields lines as they are appended, polling the file; ends when `signal` aborts or when
   * `isDone()` turns true (after draining what was written before).
   */
  async *follow(jobId: string, options: FollowOutputOptions = {}): AsyncGenerator<JobOutputLine> {
    const path = this.pathFor(jobId);
    const fromLine = options.fromLine ?? 0;
    const interval = options.intervalMs ?? 200;
    let offset = 0;
    let nextLine = 0;
    // A function, not a property read: the signal can flip while this generator is suspended.
    const aborted = (): boolean => options.signal?.aborted === true;
    while (!aborted()) {
      // Sampled before reading, so lines written just before the job finished are not missed.
      const done = options.isDone?.() === true;
      const chunk = readCompleteLines(path, offset);
      offset = chunk.nextOffset;
      for (const entry of parseLines(path, chunk.text, nextLine)) {
        nextLine = entry.line + 1;
        if (entry.line >= fromLine) yield entry;
        if (aborted()) return;
      }
      if (done) return;
      await this.nextAppend(jobId, interval, options.signal);
    }
  }
}

/** Bytes from `offset` up to the last newline, decoded; a partial last line is left for later. */
function readCompleteLines(path: string, offset: number): { text: string; nextOffset: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { text: "", nextOffset: offset };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { text: "", nextOffset: offset };
    const buffer = Buffer.alloc(size - offset);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    const end = buffer.subarray(0, read).lastIndexOf(NEWLINE);
    if (end < 0) return { text: "", nextOffset: offset };
    return { text: buffer.toString("utf8", 0, end + 1), nextOffset: offset + end + 1 };
  } finally {
    closeSync(fd);
  }
}

function parseLines(path: string, text: string, firstLine: number): JobOutputLine[] {
  if (text === "") return [];
  const lines = text.split("\n");
  lines.pop(); // text ends with "\n", so the last element is always empty
  return lines.map((raw, index) => {
    const line = firstLine + index;
    try {
      return { line, message: JSON.parse(raw) as unknown };
    } catch {
      throw new CorruptOutputError(path, line);
    }
  });
}
