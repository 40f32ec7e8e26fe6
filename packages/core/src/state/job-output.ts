import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CorruptOutputError, DiskFullError, isDiskFull } from "./errors.js";
import { assertJobId } from "./ids.js";
import { PRIVATE_FILE } from "./permissions.js";

export interface JobOutputLine {
  /** 0-based line number in the job's output file. */
  readonly line: number;
  readonly message: unknown;
}

export interface ReadOutputOptions {
  /** First line to return (0-based); 0 by default. */
  readonly fromLine?: number;
}

export interface OutputPageOptions extends ReadOutputOptions {
  /** At most this many lines. */
  readonly limit: number;
  /** Stop before the page's lines exceed this many bytes (a page always holds at least one line). */
  readonly maxBytes: number;
}

/** A line as stored: its message still in JSON text, checked to parse, for passing on as is. */
export interface StoredOutputLine {
  readonly line: number;
  readonly json: string;
}

export interface OutputPage {
  readonly lines: StoredOutputLine[];
  /** Where the next page starts when this one stopped at a limit; null when it reached the end. */
  readonly nextLine: number | null;
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
 * Every LINE_INDEX_STEP-th line's byte offset is remembered per job, for the LINE_INDEX_JOBS jobs
 * read most recently, so a page deep into a large output starts near its first line instead of
 * scanning from byte 0. Output files only grow, so a remembered offset stays valid.
 */
const LINE_INDEX_STEP = 1024;
const LINE_INDEX_JOBS = 64;

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
  /** jobId → [k] = byte offset where line k × LINE_INDEX_STEP starts; least recently used first. */
  private readonly lineIndex = new Map<string, number[]>();

  constructor(readonly jobsDir: string) {}

  /** Complete lines numbered from the indexed line nearest below `fromLine`, growing the index. */
  private *numberedLines(jobId: string, fromLine: number): Generator<{ bytes: Buffer; line: number }> {
    const index = this.lineIndex.get(jobId) ?? [0];
    this.lineIndex.delete(jobId);
    this.lineIndex.set(jobId, index);
    for (const old of this.lineIndex.keys()) {
      if (this.lineIndex.size <= LINE_INDEX_JOBS) break;
      this.lineIndex.delete(old);
    }
    const k = Math.min(Math.floor(fromLine / LINE_INDEX_STEP), index.length - 1);
    let line = k * LINE_INDEX_STEP;
    for (const { bytes, end } of completeLines(this.pathFor(jobId), index[k]!)) {
      const next = line + 1;
      if (next % LINE_INDEX_STEP === 0 && next / LINE_INDEX_STEP === index.length) index.push(end);
      yield { bytes, line };
      line = next;
    }
  }

  /** Ends the followers' wait at once: a line was appended, or the job ended and none will come. */
  wakeFollowers(jobId: string): void {
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
      fd = openSync(path, "a", PRIVATE_FILE);
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
    this.wakeFollowers(jobId);
  }

  /**
   * Complete lines from `fromLine` on, read a chunk at a time, so memory stays bounded by the
   * longest line however large the output; a job with no output yet yields nothing.
   */
  *lines(jobId: string, options: ReadOutputOptions = {}): Generator<JobOutputLine> {
    const path = this.pathFor(jobId);
    const fromLine = options.fromLine ?? 0;
    for (const { bytes, line } of this.numberedLines(jobId, fromLine)) {
      // Lines before `fromLine` are only counted, never decoded.
      if (line >= fromLine) yield parseLine(path, bytes, line);
    }
  }

  /** How many complete lines the output holds now, counted without decoding them. */
  lineCount(jobId: string): number {
    let count = 0;
    for (const { line } of this.numberedLines(jobId, Number.MAX_SAFE_INTEGER)) count = line + 1;
    return count;
  }

  /** Everything from `fromLine` on, in memory: for outputs known to be small. */
  read(jobId: string, options: ReadOutputOptions = {}): JobOutputLine[] {
    return [...this.lines(jobId, options)];
  }

  /**
   * One bounded page, for callers that must not hold a whole output (the HTTP API). Lines stay
   * JSON text, so a page costs its size once rather than again as parsed objects.
   */
  page(jobId: string, options: OutputPageOptions): OutputPage {
    const lines: StoredOutputLine[] = [];
    let bytes = 0;
    const path = this.pathFor(jobId);
    const fromLine = options.fromLine ?? 0;
    for (const chunk of this.numberedLines(jobId, fromLine)) {
      if (chunk.line < fromLine) continue;
      const full = lines.length >= options.limit || bytes + chunk.bytes.length > options.maxBytes;
      if (full && lines.length > 0) return { lines, nextLine: chunk.line };
      const json = chunk.bytes.toString("utf8");
      parseText(path, json, chunk.line);
      lines.push({ line: chunk.line, json });
      bytes += chunk.bytes.length + 1;
    }
    return { lines, nextLine: null };
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
      for (const { bytes, end } of completeLines(path, offset)) {
        offset = end;
        const line = nextLine++;
        if (line >= fromLine) yield parseLine(path, bytes, line);
        if (aborted()) return;
      }
      if (done) return;
      await this.nextAppend(jobId, interval, options.signal);
    }
  }
}

/** Bytes read from the output file at a time, at most; a longer line grows the buffer to fit it. */
const CHUNK_BYTES = 1 << 20;
/** The least a read allocates: Node hands out buffers this small from its pool. */
const MIN_READ_BYTES = 4096;

/**
 * The complete lines of a file from byte `start`, each with the byte offset just past its
 * newline; a partial last line is left for a later read. `bytes` is a view into a reused buffer,
 * valid until the next step.
 */
function* completeLines(path: string, start: number): Generator<{ bytes: Buffer; end: number }> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    // Sized to what is there: a follower reads after every appended line, and a fresh 1 MiB
    // buffer for each of those reads cost ~0.3 ms and its garbage, against ~0.02 ms.
    const waiting = fstatSync(fd).size - start;
    if (waiting <= 0) return;
    let buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(waiting, MIN_READ_BYTES)));
    let filled = 0; // bytes in `buffer` from `bufferStart` on, all of them after the last newline
    let bufferStart = start;
    for (;;) {
      if (filled === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, filled, buffer.length - filled, bufferStart + filled);
      if (n === 0) return;
      const scanFrom = filled;
      filled += n;
      let lineStart = 0;
      for (
        let nl = buffer.indexOf(NEWLINE, scanFrom);
        nl !== -1 && nl < filled;
        nl = buffer.indexOf(NEWLINE, nl + 1)
      ) {
        yield { bytes: buffer.subarray(lineStart, nl), end: bufferStart + nl + 1 };
        lineStart = nl + 1;
      }
      buffer.copy(buffer, 0, lineStart, filled);
      filled -= lineStart;
      bufferStart += lineStart;
    }
  } finally {
    closeSync(fd);
  }
}

function parseText(path: string, text: string, line: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CorruptOutputError(path, line);
  }
}

function parseLine(path: string, bytes: Buffer, line: number): JobOutputLine {
  return { line, message: parseText(path, bytes.toString("utf8"), line) };
}
