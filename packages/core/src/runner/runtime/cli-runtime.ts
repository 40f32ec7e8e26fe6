import { createInterface } from "node:readline";
import { Redactor } from "../../secrets/redactor.js";
import { buildChildEnv } from "./child-env.js";
import { buildCliArgs } from "./cli-args.js";
import { RuntimeError } from "./errors.js";
import type { RuntimeExecuteOptions, RuntimeInterface, RuntimeMessage } from "./interface.js";
import { HostLauncher, type LaunchedProcess } from "./launcher.js";
import { parseStreamJsonLine, TailBuffer } from "./stream-json.js";
import { terminate } from "./terminate.js";
import { RunWatchdog } from "./watchdog.js";

/** Runs `claude -p --output-format stream-json` and yields its messages line by line. */
export class CLIRuntime implements RuntimeInterface {
  readonly type = "cli" as const;

  constructor(private readonly defaults: { claudePath?: string } = {}) {}

  async *execute(options: RuntimeExecuteOptions): AsyncGenerator<RuntimeMessage> {
    const launcher = options.launcher ?? new HostLauncher();
    const claudePath = options.claudePath ?? this.defaults.claudePath ?? "claude";
    const env = buildChildEnv(options.baseEnv ?? process.env, options.agent, options.env);
    const redactor = Redactor.fromEnv(env);
    const watchdog = new RunWatchdog(options.signal, options);
    const stderr = new TailBuffer();
    let proc: LaunchedProcess | undefined;
    let sawResult = false;
    const onAbort = () => {
      if (proc) void terminate(proc);
    };
    try {
      if (watchdog.signal.aborted) throw this.stoppedError(watchdog);
      try {
        proc = launcher.spawn(claudePath, buildCliArgs(options.agent, options), {
          cwd: launcher.mapPath(options.agent.working_directory),
          env,
          stdin: options.prompt,
          signal: watchdog.signal,
        });
      } catch (error) {
        throw new RuntimeError({
          reason: "spawn_failed",
          runtime: this.type,
          detail: redactor.redact((error as Error).message),
          cause: error,
        });
      }
      const spawnError = new Promise<Error>((resolve) => proc?.once("error", resolve));
      options.onSpawn?.({ pid: proc.pid });
      watchdog.signal.addEventListener("abort", onAbort, { once: true });
      proc.stderr.setEncoding("utf8");
      proc.stderr.on("data", (chunk: string) => {
        watchdog.touch();
        const clean = redactor.redact(chunk);
        stderr.push(clean);
        options.onStderr?.(clean);
      });

      const lines = createInterface({ input: proc.stdout, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) {
        watchdog.touch();
        const message = parseStreamJsonLine(line);
        if (!message) continue;
        if (message.type === "result") sawResult = true;
        yield message;
      }
      const { exitCode, signal } = await proc.exited;
      if (watchdog.reason) throw this.stoppedError(watchdog);
      if (!sawResult) {
        const failure = await Promise.race([spawnError, Promise.resolve(undefined)]);
        if (failure && exitCode === null && signal === null) {
          throw new RuntimeError({
            reason: (failure as NodeJS.ErrnoException).code === "ENOENT" ? "claude_missing" : "spawn_failed",
            runtime: this.type,
            detail: redactor.redact(failure.message),
            cause: failure,
          });
        }
        throw new RuntimeError({
          reason: "no_result",
          runtime: this.type,
          exitCode,
          signal,
          stderrTail: stderr.toString(),
        });
      }
    } finally {
      watchdog.signal.removeEventListener("abort", onAbort);
      // Reached on success, failure and when the consumer stops early: never leave claude behind.
      if (proc) await terminate(proc);
      watchdog.dispose();
    }
  }

  private stoppedError(watchdog: RunWatchdog): RuntimeError {
    const stop = watchdog.reason ?? { reason: "cancelled" as const };
    return new RuntimeError({ reason: stop.reason, runtime: this.type, timeoutMs: stop.timeoutMs });
  }
}
