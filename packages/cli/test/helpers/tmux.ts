import { execFileSync } from "node:child_process";

/**
 * A real terminal for the built CLI: tmux gives it a pty, so questions, colour and the live
 * stream are what a person sees. One session per test file, named after the process.
 */
export class TmuxSession {
  constructor(readonly name: string) {}

  run(...args: string[]): string {
    return execFileSync("tmux", args, { encoding: "utf8" });
  }

  /** Starts `argv` in `cwd` on a `cols`×`rows` screen; the pane stays after it exits, to be read. */
  start(cwd: string, argv: string[], size: { cols: number; rows: number }, env: string[] = []): void {
    this.run(
      "new-session",
      "-d",
      "-s",
      this.name,
      "-x",
      String(size.cols),
      "-y",
      String(size.rows),
      "-c",
      cwd,
      ...env.flatMap((e) => ["-e", e]),
      ...argv,
    );
    this.run("set-option", "-t", this.name, "remain-on-exit", "on");
  }

  /** The screen as text; `colour` keeps the escape sequences, `history` lines scrolled off too. */
  screen(options: { colour?: boolean; history?: number } = {}): string {
    return this.run(
      "capture-pane",
      "-p",
      ...(options.colour ? ["-e"] : []),
      "-J",
      ...(options.history ? ["-S", `-${options.history}`] : []),
      "-t",
      this.name,
    );
  }

  keys(...keys: string[]): void {
    this.run("send-keys", "-t", this.name, ...keys);
  }

  /** Whether the command has exited (its pane is kept, see start). */
  exited(): boolean {
    return this.run("display-message", "-p", "-t", this.name, "#{pane_dead}").trim() === "1";
  }

  kill(): void {
    try {
      this.run("kill-session", "-t", this.name);
    } catch {
      // Already gone.
    }
  }
}
