import { stat } from "node:fs/promises";
import type { Launcher } from "../runner/runtime/launcher.js";
import { runSandboxedCommand } from "../runner/sandboxed-command.js";
import { CREDENTIAL_ENV_NAMES } from "../secrets/redactor.js";
import type { HookContext } from "./context.js";
import { hookFailures } from "./errors.js";

export const DEFAULT_SHELL_TIMEOUT_MS = 30_000;

export interface ShellHookSpec {
  readonly type: "shell";
  /** The user's own command text: the only thing that reaches `sh -c`. */
  readonly command: string;
  /** Milliseconds (the config layer converts durations). */
  readonly timeout?: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

// Linux caps one environment string at 128 KiB; the full text is always on stdin.
const ENV_TEXT_LIMIT = 16 * 1024;

/**
 * Runs `/bin/sh -c <command>` in the agent's working directory with the context as JSON on stdin
 * and HERDCTL_* variables. Job text (summary, error) only ever travels through stdin and the
 * environment, never the command line, so nothing an agent writes can be executed.
 * Resolves on exit code 0; otherwise rejects with a HookFailure.
 */
export async function runShellHook(
  hook: ShellHookSpec,
  context: HookContext,
  options: { env?: Env; signal?: AbortSignal; launcher?: Launcher } = {},
): Promise<void> {
  const timeoutMs = hook.timeout ?? DEFAULT_SHELL_TIMEOUT_MS;
  const cwd = context.working_directory;
  const dir = await stat(cwd).catch(() => undefined);
  if (!dir?.isDirectory()) throw hookFailures.cwdMissing(cwd);
  if (options.signal?.aborted) throw hookFailures.aborted();

  const result = await runSandboxedCommand(hook.command, {
    cwd,
    env: shellHookEnv(context, options.env ?? process.env),
    stdin: JSON.stringify(context),
    timeoutMs,
    signal: options.signal,
    launcher: options.launcher,
  }).catch((error: Error) => {
    throw hookFailures.spawn(error.message);
  });
  if (result.stopped === "timeout") throw hookFailures.timeout(timeoutMs);
  if (result.stopped === "aborted") throw hookFailures.aborted();
  if (result.code === 0) return;
  if (result.code !== null) throw hookFailures.exit(result.code, result.stderrTail);
  throw hookFailures.signal(result.signal ?? "a signal", result.stderrTail);
}

/** The parent's environment minus claude's credentials, plus the job as HERDCTL_* variables. */
export function shellHookEnv(context: HookContext, base: Env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  for (const name of CREDENTIAL_ENV_NAMES) delete env[name];
  const { job } = context;
  const vars: Record<string, string | number | null> = {
    EVENT: context.event,
    FLEET: context.fleet,
    AGENT: context.agent.name,
    WORKING_DIRECTORY: context.working_directory,
    JOB_ID: job.id,
    SCHEDULE: job.schedule,
    TRIGGER_TYPE: job.trigger_type,
    STATUS: job.status,
    EXIT_REASON: job.exit_reason,
    ERROR: job.error,
    SUMMARY: job.summary,
    SESSION_ID: job.session_id,
    STARTED_AT: job.started_at,
    FINISHED_AT: job.finished_at,
    DURATION_MS: job.duration_ms,
    NUM_TURNS: job.num_turns,
    INPUT_TOKENS: job.tokens.input,
    OUTPUT_TOKENS: job.tokens.output,
    COST_USD: job.cost_usd,
  };
  for (const [name, value] of Object.entries(vars)) {
    // Always set, even to "", so a stale value inherited from the parent never passes for this job's.
    const text = value === null ? "" : String(value);
    env[`HERDCTL_${name}`] = text.replaceAll("\0", "").slice(0, ENV_TEXT_LIMIT);
  }
  return env;
}
