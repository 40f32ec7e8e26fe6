/**
 * `outputToFile`: a schedule's jobs also write a plain-text log, `.herdctl/jobs/<job-id>/output.log`,
 * where the reference herdctl writes it, one `[<ISO time>] [<KIND>] <text>` line per event, for
 * people who read logs with tail and grep rather than `herdctl job --logs`.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { assertJobId } from "../state/ids.js";

export const OUTPUT_LOG_NAME = "output.log";

/** The folder the log lives in, beside the job's `<job-id>.jsonl`. */
export function outputLogPath(jobsDir: string, jobId: string): string {
  return join(jobsDir, assertJobId(jobId), OUTPUT_LOG_NAME);
}

/** An open log; every write is one whole line (or lines) appended at once. */
export class OutputLog {
  private fd: number | undefined;

  private constructor(
    fd: number,
    readonly path: string,
    private readonly clock: () => Date,
  ) {
    this.fd = fd;
  }

  /**
   * Creates the job's folder and log, both new. Nothing is followed or reused: the folder must be
   * made here (or be a real folder), and the file is opened O_EXCL|O_NOFOLLOW, so a link planted
   * at that path cannot turn the write toward another file. Throws on any of these.
   */
  static create(jobsDir: string, jobId: string, clock: () => Date = () => new Date()): OutputLog {
    const path = outputLogPath(jobsDir, jobId);
    const dir = join(jobsDir, jobId);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const stats = lstatSync(dir);
      if (!stats.isDirectory()) throw new Error(`${dir} exists and is not a folder`);
    }
    const fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND | constants.O_NOFOLLOW,
      0o600,
    );
    return new OutputLog(fd, path, clock);
  }

  /** Appends what a message says, if it says anything a reader wants. Errors are the caller's. */
  write(message: unknown): void {
    if (this.fd === undefined) return;
    const lines = formatOutputLog(message, this.clock());
    if (lines.length > 0) writeSync(this.fd, `${lines.join("\n")}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Where a job's messages go besides its JSONL output: an OutputLog, or nowhere. */
export interface OutputLogSink {
  write(message: unknown): void;
  close(): void;
  /** Why there is no log although one was asked for, for the job's output. */
  readonly problem?: string;
}

export const NO_OUTPUT_LOG: OutputLogSink = { write: () => {}, close: () => {} };

/**
 * Opens the job's log for `outputToFile`. Never throws: a log that cannot be created, or stops
 * being writable (a full disk), must not end the job; its JSONL output stays the record.
 */
export function openOutputLog(
  jobsDir: string,
  jobId: string,
  options: { clock?: () => Date; warn?: (message: string) => void } = {},
): OutputLogSink {
  let log: OutputLog;
  try {
    log = OutputLog.create(jobsDir, jobId, options.clock);
  } catch (error) {
    return {
      ...NO_OUTPUT_LOG,
      problem: `outputToFile: the output log could not be created (${errorCode(error)}); the job runs without it`,
    };
  }
  let failed = false;
  return {
    write: (message) => {
      if (failed) return;
      try {
        log.write(message);
      } catch (error) {
        failed = true;
        options.warn?.(`job ${jobId}: writing ${log.path} failed (${errorCode(error)}); it stops here`);
      }
    },
    close: () => {
      try {
        log.close();
      } catch {
        // Closing a descriptor after a write error may fail again; nothing is left to save.
      }
    },
  };
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

type Block = {
  type?: string;
  text?: string;
  name?: string;
  input?: unknown;
  content?: unknown;
  is_error?: boolean;
};
type Message = {
  type?: string;
  subtype?: string;
  text?: string;
  message?: { content?: unknown };
  session_id?: string;
  model?: string;
  num_turns?: number;
  result?: string;
  is_error?: boolean;
  errors?: string[];
};

/** The log lines for one runtime message (or herdctl notice); [] for what the log leaves out. */
export function formatOutputLog(raw: unknown, at: Date): string[] {
  if (raw === null || typeof raw !== "object") return [];
  const message = raw as Message;
  const line = (kind: string, text: string) => `[${at.toISOString()}] [${kind}] ${text}`;
  const blocks = Array.isArray(message.message?.content) ? (message.message.content as Block[]) : [];
  switch (message.type) {
    case "assistant":
      return blocks.flatMap((block) => {
        if (block.type === "text" && block.text?.trim()) return [line("ASSISTANT", block.text)];
        if (block.type === "tool_use" && block.name)
          return [
            line(
              "TOOL",
              `${block.name}${block.input === undefined ? "" : ` ${JSON.stringify(block.input)}`}`,
            ),
          ];
        return [];
      });
    case "user":
      return blocks
        .filter((block) => block.type === "tool_result")
        .map((block) =>
          line("TOOL_RESULT", `(${block.is_error ? "FAILED" : "OK"}) ${resultText(block.content)}`),
        );
    case "system":
      if (message.subtype === "init")
        return [
          line("SYSTEM", `session ${message.session_id ?? "?"} started, model ${message.model ?? "?"}`),
        ];
      return message.subtype ? [line("SYSTEM", message.subtype)] : [];
    case "result": {
      if (message.subtype === "success" && !message.is_error)
        return [line("SYSTEM", `finished after ${message.num_turns ?? "?"} turns`)];
      const detail = message.errors?.length ? message.errors.join("; ") : (message.result ?? "");
      return [line("ERROR", `${message.subtype ?? "error"}${detail ? `: ${detail}` : ""}`)];
    }
    case "herdctl":
      return message.text ? [line("SYSTEM", message.text)] : [];
    default:
      return [];
  }
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const texts = content
      .filter((c): c is { type: string; text: string } => c?.type === "text" && typeof c.text === "string")
      .map((c) => c.text);
    if (texts.length === content.length) return texts.join("\n");
  }
  return JSON.stringify(content);
}
