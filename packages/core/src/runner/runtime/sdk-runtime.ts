import type { SDKUserMessage, SpawnedProcess } from "@anthropic-ai/claude-agent-sdk";
import { loadAgentSdk } from "./agent-sdk.js";
import { RuntimeError } from "./errors.js";
import { Inbox } from "./inbox.js";
import type {
  ConversationOptions,
  LiveConversation,
  RuntimeExecuteOptions,
  RuntimeInterface,
  RuntimeMessage,
} from "./interface.js";
import type { LaunchedProcess } from "./launcher.js";
import { KeptConversation, userMessage } from "./live-conversation.js";
import { RunContext } from "./run-context.js";
import { buildSdkOptions } from "./sdk-options.js";
import { terminate } from "./terminate.js";
import { TurnApprovals } from "./turn-approvals.js";

const RESULT_EXIT_GRACE_MS = 3000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The SDK options of one run, with claude started through our launcher (host or container) so the
 * watchdog, stderr capture and `onSpawn` see the process; `started` receives it.
 */
function launchedOptions(
  ctx: RunContext,
  options: Pick<RuntimeExecuteOptions, "agent" | "onSpawn" | "approvals"> &
    Parameters<typeof buildSdkOptions>[1],
  cwd: string,
  abortController: AbortController,
  started: (proc: LaunchedProcess) => void,
): ReturnType<typeof buildSdkOptions> {
  const { launcher, claudePath, env } = ctx;
  const sdkOptions = buildSdkOptions(options.agent, options, cwd);
  sdkOptions.env = env;
  sdkOptions.abortController = abortController;
  sdkOptions.pathToClaudeCodeExecutable = claudePath;
  const approvals = options.approvals?.rules.length ? options.approvals : undefined;
  if (approvals) {
    sdkOptions.canUseTool = async (toolName, input, { signal, toolUseID }) => {
      // Waiting for a person is not a hang.
      const release = ctx.watchdog.hold();
      try {
        // The SDK's signal ends with its request; the watchdog's with the job (cancel, timeout).
        const decision = await approvals.ask(
          { toolName, input, toolUseId: toolUseID },
          AbortSignal.any([signal, ctx.watchdog.signal]),
        );
        return decision.behavior === "allow"
          ? { behavior: "allow", updatedInput: input }
          : { behavior: "deny", message: decision.message };
      } finally {
        release();
      }
    };
  }
  sdkOptions.spawnClaudeCodeProcess = (spawn): SpawnedProcess => {
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(spawn.env)) if (v !== undefined) childEnv[k] = v;
    const proc = launcher.spawn(claudePath, spawn.args, {
      cwd: spawn.cwd ?? cwd,
      env: childEnv,
      signal: spawn.signal,
    });
    ctx.watchStderr(proc);
    options.onSpawn?.({ pid: proc.pid });
    started(proc);
    return proc;
  };
  return sdkOptions;
}

/** Runs claude through the Agent SDK's query(), starting the process through our Launcher. */
export class SDKRuntime implements RuntimeInterface {
  readonly type = "sdk" as const;

  constructor(private readonly defaults: { claudePath?: string } = {}) {}

  /** query() with streaming input: each turn is one SDKUserMessage pushed into the prompt stream. */
  async open(given: ConversationOptions): Promise<LiveConversation> {
    const approvals = given.approvals?.rules.length ? new TurnApprovals(given.approvals.rules) : undefined;
    const options = { ...given, approvals };
    const lifetime = new AbortController();
    const ctx = new RunContext(this.type, { ...options, prompt: "", signal: lifetime.signal }, this.defaults);
    const { launcher } = ctx;
    const cwd = launcher.mapPath(options.agent.working_directory);
    let proc: LaunchedProcess | undefined;
    let exited = false;
    const sdkOptions = launchedOptions(ctx, options, cwd, lifetime, (started) => {
      proc = started;
      void started.exited.then(() => {
        exited = true;
      });
    });
    const { query } = await loadAgentSdk();
    const inbox = new Inbox<SDKUserMessage>();
    const run = query({ prompt: inbox, options: sdkOptions });
    return new KeptConversation({
      runtime: this.type,
      get pid() {
        return proc?.pid;
      },
      messages: run,
      send: (prompt) => inbox.push(userMessage(prompt)),
      stop: async (forced) => {
        inbox.end();
        lifetime.abort();
        if (proc) await terminate(proc, forced ? 0 : undefined);
        ctx.watchdog.dispose();
      },
      stderrTail: () => ctx.stderr.toString(),
      exited: () => exited,
      approvals,
    });
  }

  async *execute(options: RuntimeExecuteOptions): AsyncGenerator<RuntimeMessage> {
    const ctx = new RunContext(this.type, options, this.defaults);
    const { launcher, redactor, watchdog, stderr } = ctx;
    const abortController = new AbortController();
    let proc: LaunchedProcess | undefined;
    let sawResult = false;
    const onAbort = () => {
      abortController.abort();
      // The SDK's own shutdown waits for a graceful exit; a cancel must be prompt.
      if (proc) void terminate(proc, watchdog.forced ? 0 : undefined);
    };
    watchdog.signal.addEventListener("abort", onAbort, { once: true });
    const cwd = launcher.mapPath(options.agent.working_directory);

    const sdkOptions = launchedOptions(ctx, options, cwd, abortController, (started) => {
      proc = started;
    });

    try {
      if (watchdog.signal.aborted) throw ctx.stoppedError();
      const { query } = await loadAgentSdk();
      const run = query({ prompt: options.prompt, options: sdkOptions });
      try {
        for await (const message of run) {
          watchdog.touch();
          if (message.type === "result") sawResult = true;
          yield message;
          if (sawResult) break;
        }
      } catch (error) {
        if (watchdog.reason) throw ctx.stoppedError();
        if (sawResult) return;
        throw new RuntimeError({
          reason: "no_result",
          runtime: this.type,
          exitCode: proc?.exitCode,
          stderrTail: stderr.toString() || redactor.redact((error as Error).message),
          cause: error,
        });
      }
      if (watchdog.reason) throw ctx.stoppedError();
      if (!sawResult) {
        throw new RuntimeError({
          reason: "no_result",
          runtime: this.type,
          exitCode: proc?.exitCode,
          stderrTail: stderr.toString(),
        });
      }
    } finally {
      watchdog.signal.removeEventListener("abort", onAbort);
      if (proc) {
        // After a result the SDK closes claude's stdin and claude exits by itself; give it the
        // chance to finish writing its transcript before it is stopped.
        if (sawResult) await Promise.race([proc.exited, delay(RESULT_EXIT_GRACE_MS)]);
        await terminate(proc);
      }
      watchdog.dispose();
    }
  }
}
