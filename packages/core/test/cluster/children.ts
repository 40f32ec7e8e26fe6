import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A fixture process of this folder, its stdout read as lines (JSON where it parses). */
export interface Child {
  process: ChildProcess;
  lines: string[];
  events: Array<{ event: string; at: number; [key: string]: unknown }>;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

export function startChild(script: string, args: string[]): Child {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [file, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  running.add(child);
  const lines: string[] = [];
  const events: Child["events"] = [];
  let stderr = "";
  let pending = "";
  child.stdout?.on("data", (chunk) => {
    pending += chunk;
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      lines.push(line);
      try {
        events.push(JSON.parse(line));
      } catch {
        // not an event line ("ready")
      }
      nl = pending.indexOf("\n");
    }
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { process: child, lines, events, stderr: () => stderr, exited };
}

/** Ends every fixture process still running (afterEach), by its own pid. */
export async function killChildren(): Promise<void> {
  const left = [...running];
  for (const child of left) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
  await Promise.all(
    left.map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("close", resolve),
        ),
    ),
  );
}
