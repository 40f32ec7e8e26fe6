import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { constants } from "node:os";
import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import { DockerError, isEngineUnreachable, toDockerError } from "../../docker/errors.js";
import type { LaunchedProcess, LaunchOptions } from "./launcher.js";

/**
 * Records the process's pid, then becomes the command. The script is constant: the pid file and
 * the user's command and arguments only ever arrive as positional parameters.
 */
const WRAPPER = 'echo $$ > "$0" && exec "$@"';

/**
 * Signals the process group recorded by WRAPPER (docker exec makes each exec a session leader, so
 * this reaches claude's own children too), waiting briefly in case the wrapper has not written it.
 */
const KILLER =
  'i=0; while [ ! -s "$2" ]; do i=$((i+1)); [ "$i" -gt 50 ] && exit 3; sleep 0.1; done; ' +
  'pid=$(cat "$2"); kill -s "$1" -- "-$pid" 2>/dev/null || kill -s "$1" "$pid" 2>/dev/null';

type ExitInfo = { exitCode: number | null; signal: NodeJS.Signals | null };

/**
 * Starts an exec nobody attaches to. The engine still answers with a stream; left unread, its
 * connection stays open (and keeps a stopped daemon alive), so it is closed once the exec started.
 */
async function startDetached(exec: Dockerode.Exec): Promise<void> {
  const answer = (await exec.start({ Detach: true })) as unknown as { destroy(): void };
  answer.destroy();
}

/** A command running through `docker exec`, shaped like the host launcher's child process. */
export class ContainerProcess extends EventEmitter implements LaunchedProcess {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly pid = undefined;
  readonly exited: Promise<ExitInfo>;
  killed = false;
  exitCode: number | null = null;
  private finished = false;
  private lastSignal: NodeJS.Signals | null = null;
  private readonly pidFile = `/tmp/herdctl-exec-${randomBytes(8).toString("hex")}.pid`;
  private readonly container: Dockerode.Container;
  private resolveExited!: (info: ExitInfo) => void;

  constructor(
    private readonly docker: Dockerode,
    containerId: string,
    command: string,
    args: readonly string[],
    options: LaunchOptions,
    private readonly killGraceMs: number,
  ) {
    super();
    this.container = docker.getContainer(containerId);
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
    if (options.stdin !== undefined) this.stdin.end(options.stdin);
    if (options.signal.aborted) {
      // Cancelled before it began: never start it, and end after the caller has attached listeners.
      this.killed = true;
      this.lastSignal = "SIGTERM";
      setImmediate(() => this.finish(null, false));
      return;
    }
    void this.run(command, args, options);
    const onAbort = () => this.abort();
    options.signal.addEventListener("abort", onAbort, { once: true });
    void this.exited.then(() => options.signal.removeEventListener("abort", onAbort));
  }

  private async run(command: string, args: readonly string[], options: LaunchOptions): Promise<void> {
    let stream: NodeJS.ReadWriteStream;
    let exec: Dockerode.Exec;
    try {
      exec = await this.container.exec({
        Cmd: ["/bin/sh", "-c", WRAPPER, this.pidFile, command, ...args],
        Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
        WorkingDir: options.cwd,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      });
      stream = (await exec.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream;
    } catch (error) {
      this.fail(error);
      return;
    }
    this.docker.modem.demuxStream(stream, this.stdout, this.stderr);
    // The process may exit without reading all of its input; its exit status tells that story.
    stream.on("error", () => undefined);
    this.stdin.on("error", () => undefined);
    this.stdin.pipe(stream);
    await new Promise<void>((resolve) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
      stream.once("error", resolve);
    });
    this.finish(await this.exitCodeOf(exec));
  }

  /** The hijacked stream can close a moment before the engine records the exit code. */
  private async exitCodeOf(exec: Dockerode.Exec): Promise<number | null> {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        const info = await exec.inspect();
        if (!info.Running) return info.ExitCode ?? null;
      } catch {
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return null;
  }

  private fail(error: unknown): void {
    const wrapped = isEngineUnreachable(error)
      ? toDockerError(error, "run a command", this.docker)
      : new DockerError(
          {
            code: "DOCKER_EXEC_FAILED",
            containerId: this.container.id,
            detail: toDockerError(error, "exec").message,
          },
          { cause: error },
        );
    if (this.listenerCount("error") > 0) this.emit("error", wrapped);
    this.finish(null, false);
  }

  private finish(code: number | null, started = true): void {
    if (this.finished) return;
    this.finished = true;
    const signalNumber = this.lastSignal ? constants.signals[this.lastSignal] : undefined;
    // Report a kill the way a host child process would: no exit code, the signal instead.
    const byOurSignal = this.lastSignal !== null && (code === null || code === 128 + (signalNumber ?? -1000));
    const info: ExitInfo = byOurSignal
      ? { exitCode: null, signal: this.lastSignal }
      : { exitCode: code, signal: null };
    this.exitCode = info.exitCode;
    this.stdin.unpipe();
    this.stdout.end();
    this.stderr.end();
    this.emit("exit", info.exitCode, info.signal);
    this.resolveExited(info);
    if (!started) return;
    // Persistent containers outlive many runs; do not let pid files pile up in their /tmp.
    this.container
      .exec({ Cmd: ["rm", "-f", this.pidFile], AttachStdout: false, AttachStderr: false })
      .then(startDetached)
      .catch(() => undefined);
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    if (this.finished) return false;
    this.killed = true;
    this.lastSignal = signal;
    const name = signal.replace(/^SIG/, "");
    this.container
      .exec({
        Cmd: ["/bin/sh", "-c", KILLER, "sh", name, this.pidFile],
        AttachStdout: false,
        AttachStderr: false,
      })
      .then(startDetached)
      .catch(() => undefined);
    return true;
  }

  /** Cancelling: ask politely, then make sure. */
  private abort(): void {
    if (!this.kill("SIGTERM")) return;
    const timer = setTimeout(() => this.kill("SIGKILL"), this.killGraceMs);
    timer.unref();
    void this.exited.then(() => clearTimeout(timer));
  }
}
