import { existsSync } from "node:fs";
import type { JobRecord } from "@herdctl/core/internal";
import { exitQuietlyWhenOutputCloses } from "./closed-pipe.js";
import { CommandContext } from "./context.js";
import { socketPath } from "./daemon.js";
import { triggerThroughDaemon } from "./job-remote.js";
import { reportFailure } from "./report-failure.js";
import { parseTriggerLine } from "./trigger-args.js";

/** What `herdctl trigger` asks of a daemon, as commands/trigger.ts and the first file read it. */
export interface DaemonTriggerOptions {
  prompt?: string;
  schedule?: string;
  fresh?: boolean;
  resume?: string;
  fork?: string;
  /** False for --no-queue. */
  queue: boolean;
  force?: boolean;
  wait?: boolean;
  quiet?: boolean;
  offline?: boolean;
}

/**
 * The trigger handed to the daemon listening on `socket`: the job's record (the exit code set when
 * a waited-for job did not complete), or undefined when no daemon answers there, so that the
 * caller runs the job itself.
 */
export async function triggerOnDaemon(
  ctx: CommandContext,
  socket: string,
  agent: string,
  options: DaemonTriggerOptions,
): Promise<JobRecord | undefined> {
  const { ControlClient } = await import("@herdctl/core/internal/control/client");
  const job = await triggerThroughDaemon(
    ctx,
    new ControlClient(socket),
    {
      agent,
      prompt: options.prompt,
      schedule: options.schedule,
      fresh: options.fresh,
      resume: options.resume,
      fork: options.fork,
      noQueue: !options.queue,
      force: options.force === true,
      wait: options.wait === true || options.quiet === true,
      quiet: options.quiet === true,
    },
    () => {
      if (options.offline)
        ctx.warn("a daemon is running; it decides whether jobs run offline (ignoring --offline)");
    },
  );
  if (job && (options.wait || options.quiet) && job.status !== "completed") process.exitCode = 1;
  return job;
}

/**
 * `herdctl trigger` while a daemon runs, from query.cjs, which herdctl.cjs loads only when the
 * daemon's socket is there: the request goes out ~0.1 s after the process starts instead of after
 * commander's program has loaded. False, with nothing printed or asked, for a line commander should
 * read (trigger-args.ts; also two session flags, whose error commander's program reports) or a
 * fleet with no daemon answering: the program then runs the trigger as it always has.
 */
export async function runDaemonTrigger(argv: readonly string[]): Promise<boolean> {
  const call = parseTriggerLine(argv.slice(2));
  if (!call) return false;
  const { fresh, resume, fork, schedule, offline } = call.request;
  if ([fresh, resume, fork].filter(Boolean).length > 1) return false;
  const ctx = new CommandContext(call.globals);
  let socket: string;
  try {
    socket = socketPath(ctx);
  } catch {
    return false; // No fleet file: the program says so, as it does for any command.
  }
  if (!existsSync(socket)) return false;
  exitQuietlyWhenOutputCloses();
  try {
    const job = await triggerOnDaemon(ctx, socket, call.agent, {
      ...call.run,
      schedule,
      fresh,
      resume,
      fork,
      offline,
    });
    return job !== undefined;
  } catch (error) {
    reportFailure(error, call.globals.verbose === true);
    return true;
  }
}
