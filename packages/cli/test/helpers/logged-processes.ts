import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { BIN, cleanEnv } from "./cli.js";

/**
 * The long-running herdctl processes of one test file (daemons, workers), each under a name, with
 * what each prints kept: the tests wait on it, and a failure message shows it. Each name has its
 * own state directory, `.herdctl-<name>` in the file's folder, as a machine of its own would.
 */
export class LoggedProcesses {
  readonly procs = new Map<string, ChildProcess>();
  readonly logs = new Map<string, string>();

  constructor(
    /** The file's folder (made in its beforeAll, so asked for when a process starts). */
    private readonly dir: () => string,
    private readonly env: (name: string) => Record<string, string>,
  ) {}

  spawn(name: string, args: string[]): ChildProcess {
    const child = spawn(process.execPath, [BIN, "-s", join(this.dir(), `.herdctl-${name}`), ...args], {
      cwd: this.dir(),
      env: cleanEnv(this.env(name)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.logs.set(name, "");
    const keep = (d: Buffer) => this.logs.set(name, this.log(name) + d.toString());
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    this.procs.set(name, child);
    return child;
  }

  log(name: string): string {
    return this.logs.get(name) ?? "";
  }
}
