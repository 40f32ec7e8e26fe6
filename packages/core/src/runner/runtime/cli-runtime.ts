import { createInterface } from "node:readline";
import { buildCliArgs } from "./cli-args.js";
import { ControlResponder } from "./control-protocol.js";
import { RuntimeError } from "./errors.js";
import type {
  ConversationOptions,
  LiveConversation,
  RuntimeExecuteOptions,
  RuntimeInterface,
  RuntimeMessage,
} from "./interface.js";
import type { LaunchedProcess } from "./launcher.js";
import { KeptConversation, userMessage } from "./live-conversation.js";
import { withMcpConfigOnFd3 } from "./mcp-config-fd.js";
import { RunContext } from "./run-context.js";
import { parseStreamJsonLine } from "./stream-json.js";
import { terminate } from "./terminate.js";
import { TurnApprovals } from "./turn-approvals.js";

/** Runs `claude -p --output-format stream-json` and yields its messages line by line. */
export class CLIRuntime implements RuntimeInterface {
  readonly type = "cli" as const;

  constructor(private readonly defaults: { claudePath?: string } = {}) {}

  /**
   * `claude -p --input-format stream-json`: stdin stays open and each turn is one JSON line on it,
   * so later turns skip claude's start-up.
   */
  async open(given: ConversationOptions): Promise<LiveConversation> {
    const approvals = given.approvals?.rules.length ? new TurnApprovals(given.approvals.rules) : undefined;
    const options = { ...given, approvals };
    const lifetime = new AbortController();
    const ctx = new RunContext(this.type, { ...options, prompt: "", signal: lifetime.signal }, this.defaults);
    const { launcher, claudePath, env, redactor } = ctx;
    const args = buildCliArgs(options.agent, options);
    args.splice(1, 0, "--input-format", "stream-json");
    const launch = withMcpConfigOnFd3(options.agent, claudePath, args, env);
    let proc: LaunchedProcess;
    try {
      proc = launcher.spawn(launch.command, launch.args, {
        cwd: launcher.mapPath(options.agent.working_directory),
        env: launch.env,
        signal: lifetime.signal,
      });
    } catch (error) {
      ctx.watchdog.dispose();
      throw new RuntimeError({
        reason: "spawn_failed",
        runtime: this.type,
        detail: redactor.redact((error as Error).message),
        cause: error,
      });
    }
    options.onSpawn?.({ pid: proc.pid });
    ctx.watchStderr(proc);
    let exited = false;
    proc.once("exit", () => {
      exited = true;
    });
    // The process's lifetime watchdog has no limits: the turn's own is held while a person decides.
    const responder = approvals && new ControlResponder(proc.stdin, approvals, ctx.watchdog);
    const lines = createInterface({ input: proc.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    async function* messages(): AsyncGenerator<RuntimeMessage> {
      for await (const line of lines) {
        if (responder?.takes(line)) continue;
        const message = parseStreamJsonLine(line);
        if (message) yield message;
      }
    }
    return new KeptConversation({
      runtime: this.type,
      pid: proc.pid,
      messages: messages(),
      send: (prompt) => proc.stdin.write(`${JSON.stringify(userMessage(prompt))}\n`),
      stop: async (forced) => {
        proc.stdin.end();
        await terminate(proc, forced ? 0 : undefined);
        lifetime.abort();
        ctx.watchdog.dispose();
      },
      stderrTail: () => ctx.stderr.toString(),
      exited: () => exited,
      approvals,
    });
  }

  async *execute(options: RuntimeExecuteOptions): AsyncGenerator<RuntimeMessage> {
    const ctx = new RunContext(this.type, options, this.defaults);
    const { launcher, claudePath, env, redactor, watchdog, stderr } = ctx;
    let proc: LaunchedProcess | undefined;
    let responder: ControlResponder | undefined;
    let sawResult = false;
    const onAbort = () => {
      if (proc) void terminate(proc, watchdog.forced ? 0 : undefined);
    };
    try {
      if (watchdog.signal.aborted) throw ctx.stoppedError();
      const approvals = options.approvals?.rules.length ? options.approvals : undefined;
      const args = buildCliArgs(options.agent, options);
      // With approvals claude reads stream-json on stdin: the prompt, then answers to its questions.
      const streamed = approvals !== undefined || launcher.streamsInput === true;
      if (streamed) args.splice(1, 0, "--input-format", "stream-json");
      const launch = withMcpConfigOnFd3(options.agent, claudePath, args, env);
      try {
        proc = launcher.spawn(launch.command, launch.args, {
          cwd: launcher.mapPath(options.agent.working_directory),
          env: launch.env,
          stdin: streamed ? undefined : options.prompt,
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
      ctx.watchStderr(proc);
      if (approvals) responder = new ControlResponder(proc.stdin, approvals, watchdog);
      if (streamed) proc.stdin.write(`${JSON.stringify(userMessage(options.prompt))}\n`);

      const lines = createInterface({ input: proc.stdout, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) {
        watchdog.touch();
        if (responder?.takes(line)) continue;
        const message = parseStreamJsonLine(line);
        if (!message) continue;
        if (message.type === "result") {
          sawResult = true;
          // With stream-json input claude waits for the next message; the run is one turn.
          if (streamed) proc.stdin.end();
        }
        yield message;
      }
      const { exitCode, signal } = await proc.exited;
      if (watchdog.reason) throw ctx.stoppedError();
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
      await responder?.settled();
      watchdog.dispose();
    }
  }
}
