import type { Launcher } from "../runner/runtime/launcher.js";
import { looksSecretName, Redactor } from "../secrets/redactor.js";
import type { TerminalJobStatus } from "../state/job-status.js";
import { FLEET_EVENTS, type HookContext, type HookEvent } from "./context.js";
import { type DiscordHookSpec, runDiscordHook } from "./discord.js";
import { HookFailure, type HookFailureCode, hookFailures, WhenSyntaxError } from "./errors.js";
import { type Env, runShellHook, type ShellHookSpec } from "./shell.js";
import { runSlackHook, type SlackHookSpec } from "./slack.js";
import { runWebhookHook, type WebhookHookSpec } from "./webhook.js";
import { compileWhen, type WhenFilter } from "./when.js";

interface HookCommon {
  /** Shown in the hook's label, e.g. `after_run[0] shell (notify)`. */
  readonly name?: string;
  /** Narrows the lists' own events. "timeout" is accepted as the config's older spelling of timed_out. */
  readonly on_events?: readonly string[];
  readonly when?: string;
  /** false: a failure of this hook skips every hook after it. Default true. */
  readonly continue_on_error?: boolean;
  /** Where the hook was written; an agent file's shell hook goes through `placeShell`. */
  readonly declaredIn?: "fleet" | "agent";
}

export type HookSpec = (ShellHookSpec | WebhookHookSpec | DiscordHookSpec | SlackHookSpec) & HookCommon;

/** Structurally the config's `hooks` section, so a ResolvedAgent's hooks pass straight in. */
export interface AgentHooks {
  readonly after_run?: readonly HookSpec[];
  readonly on_error?: readonly HookSpec[];
  readonly budget_exceeded?: readonly HookSpec[];
  readonly usage_limited?: readonly HookSpec[];
  readonly approval_requested?: readonly HookSpec[];
  readonly approval_decided?: readonly HookSpec[];
}

export interface HookResult {
  /** e.g. "after_run[0] shell"; matches JobRecord.hookErrors[].hook. */
  readonly hook: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** Redacted; present when ok is false. */
  readonly error?: string;
  readonly code?: HookFailureCode;
  /** The hook never ran (shutdown, or an earlier hook with continue_on_error: false failed). */
  readonly skipped?: boolean;
}

export interface RunHooksOptions {
  /** Where secret_env is looked up and what shell hooks inherit. Default process.env. */
  env?: Env;
  /** Aborting kills a running shell hook, cancels a request and skips the rest. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Extra values to scrub from errors (e.g. the executor's redactor). */
  redactor?: Redactor;
  retryBaseMs?: number;
  maxRetryAfterMs?: number;
  /**
   * Where a shell hook declared in an agent file may run: a launcher into the agent's own sandbox,
   * or a refusal. Without it such a hook is refused: nothing an agent file says runs on the host
   * unless the caller decided it may.
   */
  placeShell?: (hook: HookSpec) => Promise<ShellPlacement>;
}

/** Where an agent file's shell hook runs: the host (no launcher), another launcher, or nowhere. */
export type ShellPlacement = { launcher?: Launcher } | { refused: string };

/**
 * on_error covers the ways a job can go wrong on its own. A cancellation is something a user
 * asked for, so it is not an error: a user who wants to hear about it lists `cancelled` in an
 * after_run hook's on_events.
 */
export const ON_ERROR_EVENTS: readonly TerminalJobStatus[] = ["failed", "timed_out", "interrupted"];

export interface SelectedHook {
  readonly label: string;
  readonly hook: HookSpec;
}

/** The hooks an event triggers, in run order: after_run first, then on_error, each in config order. */
export function selectHooks(hooks: AgentHooks | undefined, event: HookEvent): SelectedHook[] {
  const selected: SelectedHook[] = [];
  // A budget, usage-limit or approval event is not a job's end: only its own list runs.
  const jobEnd = !(FLEET_EVENTS as readonly string[]).includes(event);
  const lists = [
    ["after_run", hooks?.after_run, jobEnd],
    ["on_error", hooks?.on_error, jobEnd && ON_ERROR_EVENTS.includes(event as TerminalJobStatus)],
    ["budget_exceeded", hooks?.budget_exceeded, event === "budget_exceeded"],
    ["usage_limited", hooks?.usage_limited, event === "usage_limited"],
    ["approval_requested", hooks?.approval_requested, event === "approval_requested"],
    ["approval_decided", hooks?.approval_decided, event === "approval_decided"],
  ] as const;
  for (const [list, specs, listApplies] of lists) {
    if (!listApplies || !specs) continue;
    specs.forEach((hook, index) => {
      const events = hook.on_events?.map((e) => (e === "timeout" ? "timed_out" : e));
      if (events && !events.includes(event)) return;
      const name = hook.name ? ` (${hook.name})` : "";
      selected.push({ label: `${list}[${index}] ${hook.type}${name}`, hook });
    });
  }
  return selected;
}

/**
 * Runs the hooks a finished job triggers, one after another. Never throws: every failure is a
 * result, so the executor can store it in JobRecord.hookErrors without touching the job's status.
 * Hooks whose on_events or when filter excludes the job produce no result.
 */
export async function runHooks(
  hooks: AgentHooks | undefined,
  context: HookContext,
  options: RunHooksOptions = {},
): Promise<HookResult[]> {
  const results: HookResult[] = [];
  try {
    const env = options.env ?? process.env;
    const selected = selectHooks(hooks, context.event);
    const redact = makeRedact(selected, env, options.redactor);
    let stopAfter: string | undefined;
    for (const { label, hook } of selected) {
      const failed = (failure: HookFailure, durationMs: number, skipped?: boolean): HookResult => ({
        hook: label,
        ok: false,
        durationMs,
        error: redact(failure.message),
        code: failure.code,
        ...(skipped ? { skipped } : {}),
      });
      if (options.signal?.aborted) {
        results.push(failed(hookFailures.aborted(), 0, true));
        continue;
      }
      if (stopAfter !== undefined) {
        results.push(failed(hookFailures.skippedAfter(stopAfter), 0, true));
        continue;
      }
      let filter: WhenFilter | undefined;
      try {
        filter = hook.when === undefined ? undefined : compileWhen(hook.when);
      } catch (error) {
        const detail = error instanceof WhenSyntaxError ? error.message : String(error);
        results.push(failed(hookFailures.whenInvalid(detail), 0));
        continue;
      }
      if (filter && !filter.matches(context)) continue;

      const started = performance.now();
      try {
        if (hook.type === "shell") {
          const placement: ShellPlacement =
            hook.declaredIn === "agent"
              ? ((await options.placeShell?.(hook)) ?? { refused: "no sandbox was provided for it" })
              : {};
          if ("refused" in placement) {
            results.push(failed(hookFailures.refused(placement.refused), elapsed(started), true));
            continue;
          }
          // Inside a sandbox the shell starts from the sandbox's environment, not herdctl's.
          const shellEnv = placement.launcher ? {} : env;
          await runShellHook(hook, context, {
            env: shellEnv,
            signal: options.signal,
            launcher: placement.launcher,
          });
        } else if (hook.type === "discord") {
          await runDiscordHook(hook, context, { ...options, env });
        } else if (hook.type === "slack") {
          await runSlackHook(hook, context, { ...options, env });
        } else {
          await runWebhookHook(hook, context, { ...options, env });
        }
        results.push({ hook: label, ok: true, durationMs: elapsed(started) });
      } catch (error) {
        const failure =
          error instanceof HookFailure
            ? error
            : hookFailures.internal(error instanceof Error ? error.message : String(error));
        results.push(failed(failure, elapsed(started)));
        if (hook.continue_on_error === false) stopAfter = label;
      }
    }
  } catch (error) {
    // Only a bug or a malformed hooks object gets here; still a result, never an exception.
    results.push({
      hook: "hooks",
      ok: false,
      durationMs: 0,
      error: hookFailures.internal(error instanceof Error ? error.message : String(error)).message,
      code: "HOOK_INTERNAL",
    });
  }
  return results;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/**
 * Errors can quote stderr or a receiver's answer, which may echo a secret back: scrub the values
 * of secret-looking env vars, each webhook's signing secret and secret-looking header values, and
 * each chat hook's bot token.
 */
function makeRedact(
  selected: SelectedHook[],
  env: Env,
  extra: Redactor | undefined,
): (text: string) => string {
  const values: string[] = [];
  for (const { hook } of selected) {
    if (hook.type === "discord" || hook.type === "slack") values.push(env[hook.bot_token_env] ?? "");
    if (hook.type !== "webhook") continue;
    if (hook.secret_env) values.push(env[hook.secret_env] ?? "");
    for (const [name, value] of Object.entries(hook.headers ?? {})) {
      if (!looksSecretName(name)) continue;
      values.push(value);
      // "Bearer <token>": the token alone may be echoed back too.
      values.push(value.split(/\s+/).at(-1) ?? "");
    }
  }
  const redactor = Redactor.fromEnv(env).with(values);
  return (text) => {
    const once = redactor.redact(text);
    return extra ? extra.redact(once) : once;
  };
}
