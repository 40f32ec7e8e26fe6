/**
 * All wording for hook failures lives here, so tests can assert exact messages. A failing hook
 * is a result (HookResult.error + code), not an exception: it never changes the job's status.
 */
export type HookFailureCode =
  | "HOOK_WHEN_INVALID"
  | "HOOK_EXIT"
  | "HOOK_SIGNAL"
  | "HOOK_TIMEOUT"
  | "HOOK_CWD_MISSING"
  | "HOOK_SPAWN"
  | "HOOK_SECRET_MISSING"
  | "HOOK_HTTP_STATUS"
  | "HOOK_HTTP_REDIRECT"
  | "HOOK_NETWORK"
  | "HOOK_ABORTED"
  | "HOOK_SKIPPED"
  | "HOOK_REFUSED"
  | "HOOK_INTERNAL";

export class HookFailure extends Error {
  readonly code: HookFailureCode;

  constructor(code: HookFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A `when` filter that does not parse or compares things that can never match. */
export class WhenSyntaxError extends Error {
  readonly code = "HOOK_WHEN_INVALID";
  readonly expression: string;
  /** 1-based. */
  readonly column: number;

  constructor(expression: string, column: number, problem: string, hint: string) {
    super(`when ${JSON.stringify(expression)}: ${problem} at column ${column}; ${hint}`);
    this.name = new.target.name;
    this.expression = expression;
    this.column = column;
  }
}

export class HookContextError extends Error {
  readonly code = "HOOK_JOB_NOT_FINISHED";

  constructor(jobId: string, status: string) {
    super(
      `Job ${jobId} is still ${status}; hooks run only after a job ends. Build the hook context once it has a terminal status.`,
    );
    this.name = new.target.name;
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function attempts(n: number): string {
  return n === 1 ? "1 attempt" : `${n} attempts`;
}

export const hookFailures = {
  whenInvalid: (detail: string) =>
    new HookFailure("HOOK_WHEN_INVALID", `skipped because its when filter is invalid: ${detail}`),
  exit: (code: number, stderrTail: string) =>
    new HookFailure(
      "HOOK_EXIT",
      stderrTail
        ? `command exited with code ${code}; stderr: ${stderrTail}`
        : `command exited with code ${code} and wrote nothing to stderr`,
    ),
  signal: (signal: string, stderrTail: string) =>
    new HookFailure(
      "HOOK_SIGNAL",
      `command was killed by ${signal}` + (stderrTail ? `; stderr: ${stderrTail}` : ""),
    ),
  timeout: (ms: number) =>
    new HookFailure(
      "HOOK_TIMEOUT",
      `command did not finish within ${formatMs(ms)} and was killed; raise the hook's timeout or make the command return sooner`,
    ),
  cwdMissing: (dir: string) =>
    new HookFailure(
      "HOOK_CWD_MISSING",
      `working directory ${dir} does not exist; create it or fix the agent's working_directory`,
    ),
  spawn: (detail: string) => new HookFailure("HOOK_SPAWN", `could not start /bin/sh: ${detail}`),
  secretMissing: (name: string) =>
    new HookFailure(
      "HOOK_SECRET_MISSING",
      `secret_env names ${name}, but ${name} is not set; export it where herdctl runs or remove secret_env`,
    ),
  httpStatus: (request: string, status: number, tries: number, bodyTail: string) =>
    new HookFailure(
      "HOOK_HTTP_STATUS",
      `${request} answered ${status} after ${attempts(tries)}` + (bodyTail ? `: ${bodyTail}` : ""),
    ),
  redirect: (request: string, status: number) =>
    new HookFailure(
      "HOOK_HTTP_REDIRECT",
      `${request} answered ${status} (a redirect); webhook hooks do not follow redirects, so set url to the final address`,
    ),
  network: (request: string, tries: number, detail: string) =>
    new HookFailure("HOOK_NETWORK", `${request} failed after ${attempts(tries)}: ${detail}`),
  requestTimeout: (request: string, ms: number, tries: number) =>
    new HookFailure(
      "HOOK_TIMEOUT",
      `${request} did not answer within ${formatMs(ms)} (${attempts(tries)}); raise the hook's timeout or check the receiver`,
    ),
  aborted: () => new HookFailure("HOOK_ABORTED", "did not finish because herdctl is shutting down"),
  skippedAfter: (hook: string) =>
    new HookFailure("HOOK_SKIPPED", `skipped because ${hook} failed and has continue_on_error: false`),
  refused: (reason: string) => new HookFailure("HOOK_REFUSED", `not run: ${reason}`),
  internal: (detail: string) => new HookFailure("HOOK_INTERNAL", `failed unexpectedly: ${detail}`),
};
