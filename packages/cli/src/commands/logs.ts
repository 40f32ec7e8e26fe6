import {
  ControlClient,
  ControlError,
  isTerminalStatus,
  type JobOutputLine,
  type JobRecord,
  type StateManager,
} from "@herdctl/core";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { checkAgentFilter, parseCount, requireJob } from "../lookup.js";
import { relativeTime } from "../output/format.js";
import { renderJobEnd, renderMessage } from "../output/job-render.js";
import { statusColour } from "../output/style.js";

interface LogsOptions {
  job?: string;
  follow?: boolean;
  lines: string;
}

/** One NDJSON record of `logs -f --json`: the same {type, payload} shape as the daemon's /api/events. */
interface LogEvent {
  type: string;
  at?: string;
  payload: unknown;
}

const END_EVENTS = new Set(["job:completed", "job:failed", "job:cancelled", "job:interrupted"]);

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("print jobs' output; -f follows live output as it is written")
    .argument("[agent]", "only this agent's jobs")
    .option("--job <id>", "one job's output")
    .option("-f, --follow", "keep printing new output until Ctrl-C (or until the job ends, with --job)")
    .option("-n, --lines <n>", "how many of the latest jobs to show", "3")
    .action(async (agent: string | undefined, options: LogsOptions, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const count = parseCount(options.lines, "-n");
      const state = ctx.openState();
      try {
        const picked = options.job !== undefined ? [requireJob(state, options.job)] : undefined;
        if (agent !== undefined) {
          await checkAgentFilter(ctx, state, agent);
          if (picked && picked[0]!.agent !== agent)
            throw new UsageError(`job ${picked[0]!.id} belongs to agent ${picked[0]!.agent}, not ${agent}`);
        }
        // Oldest first, so the newest output ends up at the bottom of the terminal.
        const jobs = picked ?? state.jobs.list({ agent, limit: count }).jobs.reverse();
        const history = jobs.map((job) => ({ job, output: state.readJobOutput(job.id) }));
        if (!options.follow) {
          if (ctx.json) ctx.printJson({ jobs: history });
          else printHistory(ctx, history);
          return;
        }
        const emit = (event: LogEvent) => {
          if (ctx.json) ctx.stdout.write(`${JSON.stringify(event)}\n`);
          else printEvent(ctx, event);
        };
        for (const { job, output } of history) {
          if (ctx.json) for (const l of output) emit(outputEvent(job, l));
          else printHistory(ctx, [{ job, output }], false);
        }
        await follow(ctx, state, { agent, picked: picked?.[0], history, emit });
      } finally {
        state.close();
      }
    });
}

function outputEvent(job: Pick<JobRecord, "id" | "agent">, l: JobOutputLine): LogEvent {
  return {
    type: "job:output",
    payload: { jobId: job.id, agent: job.agent, line: l.line, message: l.message },
  };
}

function header(ctx: CommandContext, job: JobRecord): string {
  return (
    ctx.out.bold(`── ${job.id} ${job.agent} `) +
    statusColour(ctx.out, job.status) +
    ctx.out.dim(` ${relativeTime(job.startedAt ?? job.createdAt)}`)
  );
}

function printHistory(
  ctx: CommandContext,
  history: { job: JobRecord; output: JobOutputLine[] }[],
  withEnd = true,
): void {
  if (history.length === 0) ctx.stderr.write(`${ctx.err.dim("no jobs yet")}\n`);
  for (const { job, output } of history) {
    ctx.print(header(ctx, job));
    for (const l of output)
      for (const line of renderMessage(l.message as { type: string }, ctx.out)) ctx.print(line);
    if (withEnd && isTerminalStatus(job.status))
      for (const line of renderJobEnd(job, ctx.out)) ctx.print(line);
  }
}

function printEvent(ctx: CommandContext, event: LogEvent): void {
  if (event.type === "job:output") {
    const p = event.payload as { message: { type: string } };
    for (const line of renderMessage(p.message, ctx.out)) ctx.print(line);
  } else if (event.type === "job:started") {
    ctx.print(header(ctx, event.payload as JobRecord));
  } else if (END_EVENTS.has(event.type)) {
    for (const line of renderJobEnd(event.payload as JobRecord, ctx.out)) ctx.print(line);
  }
}

/** Aborts on Ctrl-C, so following ends cleanly with exit 0. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", abort);
      process.off("SIGTERM", abort);
    },
  };
}

async function follow(
  ctx: CommandContext,
  state: StateManager,
  f: {
    agent?: string;
    picked?: JobRecord;
    history: { job: JobRecord; output: JobOutputLine[] }[];
    emit: (event: LogEvent) => void;
  },
): Promise<void> {
  const client = await ControlClient.connect(state.socketPath);
  const { signal, dispose } = interruptSignal();
  try {
    if (!f.picked && client) {
      // The fleet's event stream sees every job, including ones that start after we begin.
      for await (const event of client.lines<LogEvent>("/api/events", signal)) {
        const p = event.payload as { agent?: string };
        if (!event.type.startsWith("job:") || event.type === "job:queued") continue;
        if (f.agent === undefined || p.agent === f.agent) f.emit(event);
      }
      return;
    }
    // One job: the one asked for, or without a daemon the newest running one.
    const job = f.picked ?? newestRunning(state, f.agent);
    if (!job) {
      ctx.stderr.write(
        `${ctx.err.yellow("nothing to follow:")} no daemon is running and no job${f.agent ? ` of ${f.agent}` : ""} is running. ` +
          `Start the fleet with "herdctl start", or follow one job with --job ID.\n`,
      );
      return;
    }
    if (isTerminalStatus(job.status)) {
      f.emit({ type: endEvent(job), payload: job });
      return;
    }
    const seen = f.history.find((h) => h.job.id === job.id)?.output.length ?? 0;
    if (seen === 0 && !ctx.json && !f.picked) ctx.print(header(ctx, job));
    const lines = client
      ? client.lines<JobOutputLine>(`/api/jobs/${job.id}/output?from=${seen}&follow=1`, signal)
      : state.followJobOutput(job.id, { fromLine: seen, signal });
    for await (const l of lines) f.emit(outputEvent(job, l));
    if (signal.aborted) return;
    const final = state.jobs.require(job.id);
    if (isTerminalStatus(final.status)) f.emit({ type: endEvent(final), payload: final });
  } catch (error) {
    // Ctrl-C while the daemon's stream is opening rejects the request; that is a normal end.
    if (signal.aborted) return;
    if (error instanceof ControlError)
      throw new CliError(`the daemon could not stream logs: ${error.message}`);
    throw error;
  } finally {
    dispose();
  }
}

function newestRunning(state: StateManager, agent: string | undefined): JobRecord | undefined {
  return state.jobs.list({ agent, status: "running", limit: 1 }).jobs[0];
}

function endEvent(job: JobRecord): string {
  if (job.status === "completed") return "job:completed";
  if (job.status === "cancelled") return "job:cancelled";
  if (job.status === "interrupted") return "job:interrupted";
  return "job:failed";
}
