import { execFileSync } from "node:child_process";

/**
 * A real terminal for the built CLI: tmux gives it a pty, so questions, colour and the live
 * stream are what a person sees. Each start gets a tmux server of its own (`-L`, the name plus a
 * count): files running at once never share a server, and a start never reaches the server of
 * the previous one while that server is still exiting after its session was killed (tmux then
 * answers "server exited unexpectedly").
 */
export class TmuxSession {
  private server: string;
  private starts = 0;

  constructor(readonly name: string) {
    this.server = name;
  }

  run(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.server, "-f", "/dev/null", ...args], { encoding: "utf8" });
  }

  /**
   * Starts `argv` in `cwd` on a `cols`×`rows` screen; the pane stays after it exits, to be read.
   * remain-on-exit is set in the same tmux call, before the session exists: a command that exits
   * at once (`--help`) would otherwise end the session, and the server, before a later call set it.
   */
  start(cwd: string, argv: string[], size: { cols: number; rows: number }, env: string[] = []): void {
    this.starts += 1;
    this.server = `${this.name}-${this.starts}`;
    this.run(
      "start-server",
      ";",
      "set-option",
      "-g",
      "remain-on-exit",
      "on",
      ";",
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
      this.run("kill-server");
    } catch {
      // Already gone.
    }
  }
}
