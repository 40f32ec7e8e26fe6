import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";

export interface LaunchOptions {
  cwd: string;
  env: Record<string, string>;
  /** Written to the child's stdin, which is then closed. Leave undefined to keep stdin open. */
  stdin?: string;
  signal: AbortSignal;
}

/**
 * A started claude process, wherever it runs. Shaped like the subset of ChildProcess the
 * runtimes and the Agent SDK's `spawnClaudeCodeProcess` hook need, so a docker exec can stand in
 * for a host process.
 */
export interface LaunchedProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Host pid when known (host launcher); undefined for processes inside a container. */
  readonly pid: number | undefined;
  readonly killed: boolean;
  readonly exitCode: number | null;
  /** Resolves once the process has exited and its output streams are drained. */
  readonly exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: "error", listener: (error: Error) => void): this;
  off(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  off(event: "error", listener: (error: Error) => void): this;
}

/** The only place a claude process is started. */
export interface Launcher {
  /** Where the process sees the agent's working directory (host path, or /workspace in Docker). */
  mapPath(hostPath: string): string;
  spawn(command: string, args: readonly string[], options: LaunchOptions): LaunchedProcess;
  /**
   * The CLI runtime sends the prompt as a stream-json message on stdin instead of plain text: a
   * launcher that may hand over an already started claude (warm-claudes.ts) needs one argv for both.
   */
  readonly streamsInput?: boolean;
}

/** Runs claude as a child process of herdctl, with an argument array and no shell. */
export class HostLauncher implements Launcher {
  mapPath(hostPath: string): string {
    return hostPath;
  }

  spawn(command: string, args: readonly string[], options: LaunchOptions): LaunchedProcess {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
      // Our own process group, so cancelling also ends anything claude started (Bash tool children).
      detached: true,
      shell: false,
    });
    const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("close", (exitCode, signal) => resolve({ exitCode, signal }));
      child.once("error", () => resolve({ exitCode: child.exitCode, signal: null }));
    });
    child.stdin.on("error", () => {
      // EPIPE when claude exits before reading its whole prompt; the exit status tells the story.
    });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    const killGroup = (signal: NodeJS.Signals = "SIGTERM"): boolean => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false;
      try {
        process.kill(-child.pid, signal);
        return true;
      } catch {
        return child.kill(signal);
      }
    };
    return Object.assign(child, { exited, kill: killGroup }) as unknown as LaunchedProcess;
  }
}
