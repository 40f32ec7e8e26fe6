import { type ChildProcess, spawn } from "node:child_process";
import { CLI } from "./helpers.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process was seen to exit. */
  at: number;
}

/** A running `herdctl` whose output is collected, with waits on what it prints and on its exit. */
export interface Herdctl {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects if the process ends first. */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  running(): boolean;
}

export function herdctl(args: string[], env: NodeJS.ProcessEnv): Herdctl {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.on("data", (d) => {
    out += d;
    notify();
  });
  child.stderr!.on("data", (d) => {
    err += d;
    notify();
  });
  let ended = false;
  const exited = new Promise<Exit>((resolve) =>
    child.on("close", (code, signal) => {
      ended = true;
      notify();
      resolve({ code, signal, at: Date.now() });
    }),
  );
  const describe = () => `herdctl ${args.join(" ")}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`;
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => !ended,
    printed: (pattern, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = (out + err).match(pattern);
          if (match) return finish(() => resolve(match));
          if (ended)
            return finish(() => reject(new Error(`ended without printing ${pattern}:\n${describe()}`)));
        };
        const timer = setTimeout(
          () =>
            finish(() => reject(new Error(`${pattern} not printed within ${timeoutMs} ms:\n${describe()}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Resolves when the process exits, or rejects after `timeoutMs` (an upper bound, not a pace). */
export function exitWithin(p: Herdctl, timeoutMs: number): Promise<Exit> {
  return Promise.race([
    p.exited,
    new Promise<never>((_, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms:\n${p.stdout()}\n${p.stderr()}`)),
        timeoutMs,
      );
      void p.exited.then(() => clearTimeout(timer));
    }),
  ]);
}
