import { Redactor } from "../../secrets/redactor.js";
import { buildChildEnv } from "./child-env.js";
import { RuntimeError } from "./errors.js";
import type { RuntimeExecuteOptions, RuntimeType } from "./interface.js";
import { HostLauncher, type LaunchedProcess, type Launcher } from "./launcher.js";
import { TailBuffer } from "./stream-json.js";
import { RunWatchdog } from "./watchdog.js";

/** What every runtime sets up for one run: where and how claude starts, and how the run is watched. */
export class RunContext {
  readonly launcher: Launcher;
  readonly claudePath: string;
  readonly env: Record<string, string>;
  readonly redactor: Redactor;
  readonly watchdog: RunWatchdog;
  readonly stderr = new TailBuffer();

  constructor(
    private readonly runtime: RuntimeType,
    private readonly options: RuntimeExecuteOptions,
    defaults: { claudePath?: string },
  ) {
    this.launcher = options.launcher ?? new HostLauncher();
    this.claudePath = options.claudePath ?? defaults.claudePath ?? "claude";
    this.env = buildChildEnv(options.baseEnv ?? process.env, options.agent, options.env);
    this.redactor = Redactor.fromEnv(this.env);
    this.watchdog = new RunWatchdog(options.signal, options);
  }

  /** claude's stderr keeps the watchdog awake, feeds the error tail and reaches the caller, redacted. */
  watchStderr(proc: LaunchedProcess): void {
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (chunk: string) => {
      this.watchdog.touch();
      const clean = this.redactor.redact(chunk);
      this.stderr.push(clean);
      this.options.onStderr?.(clean);
    });
  }

  /** The error for a run the watchdog or the caller stopped. */
  stoppedError(): RuntimeError {
    const stop = this.watchdog.reason ?? { reason: "cancelled" as const };
    return new RuntimeError({
      reason: stop.reason,
      runtime: this.runtime,
      timeoutMs: stop.timeoutMs,
      ...(this.watchdog.forced ? { detail: "forced" } : {}),
    });
  }
}
