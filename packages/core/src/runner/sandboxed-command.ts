import type { Readable } from "node:stream";
import { HostLauncher, type Launcher } from "./runtime/launcher.js";

const STDERR_KEEP = 4096;
const STDERR_TAIL = 1000;
// After the shell exits, a backgrounded child may still hold its pipes open; do not wait for it.
const DRAIN_MS = 200;

export interface SandboxedCommandOptions {
  /** Host path; a container launcher maps it to the container's. */
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Where the command runs: the host (its own process group) or the agent's container. */
  launcher?: Launcher;
  /** Keep at most this many bytes of stdout (the rest is read and dropped); 0 keeps none. */
  stdoutLimit?: number;
}

export interface SandboxedCommandResult {
  /** null when a signal ended it or herdctl stopped it. */
  code: number | null;
  signal: string | null;
  /** Why herdctl ended it early, if it did. */
  stopped?: "timeout" | "aborted";
  stdout: string;
  /** More stdout came than stdoutLimit kept. */
  stdoutTruncated: boolean;
  /** The last part of stderr, trimmed, for messages. */
  stderrTail: string;
}

/**
 * Runs `/bin/sh -c <command>` where the agent's own commands would run. The command is the fleet
 * author's text; anything else (job text, context) travels only through stdin and the
 * environment, so nothing an agent or a sender wrote is ever executed. Rejects only when the
 * process cannot be started.
 */
export function runSandboxedCommand(
  command: string,
  options: SandboxedCommandOptions,
): Promise<SandboxedCommandResult> {
  const child = (options.launcher ?? new HostLauncher()).spawn("/bin/sh", ["-c", command], {
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin ?? "",
    signal: options.signal ?? new AbortController().signal,
  });
  const limit = options.stdoutLimit ?? 0;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let truncated = false;
  child.stdout.on("data", (chunk: Buffer) => {
    const room = limit - keptBytes;
    if (chunk.length > room) truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    kept.push(part);
    keptBytes += part.length;
  });

  return new Promise((resolve, reject) => {
    let stderr = "";
    let stopped: SandboxedCommandResult["stopped"];
    // On the host the launcher gave the shell its own process group, so this also ends whatever
    // the command started; in a container, killing the exec does.
    const stop = (why: "timeout" | "aborted"): void => {
      stopped ??= why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => stop("timeout"), options.timeoutMs);
    const onAbort = (): void => stop("aborted");
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };

    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    child.on("error", (error) => {
      cleanup();
      child.kill("SIGKILL");
      reject(error);
    });
    child.on("exit", (code, signal) => {
      cleanup();
      void Promise.all([drained(child.stdout, DRAIN_MS), drained(child.stderr, DRAIN_MS)]).then(() =>
        resolve({
          code: stopped ? null : code,
          signal: signal ?? null,
          ...(stopped ? { stopped } : {}),
          stdout: Buffer.concat(kept).toString("utf8"),
          stdoutTruncated: truncated,
          stderrTail: tail(stderr),
        }),
      );
    });
  });
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= STDERR_TAIL ? trimmed : `…${trimmed.slice(-STDERR_TAIL)}`;
}

function drained(stream: Readable, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    const timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.once("end", done);
    stream.once("close", done);
  });
}
