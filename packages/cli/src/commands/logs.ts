import type { JobOutputLine, JobRecord, StateManager } from "@herdctl/core/internal";
import { isTerminalStatus } from "@herdctl/core/internal/state/job-status";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { checkAgentFilter, parseCount, requireJob } from "../lookup.js";
import { relativeTime } from "../output/format.js";
import { renderJobEnd, renderMessage } from "../output/job-render.js";
import { drainedWriter, writeJsonArray } from "../output/streamed-output.js";
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
    .option("-n, --lines <n>", "how many of the latest jobs to show; -f -n 0 shows only new output", "3")
    .action(async (agent: string | undefined, options: LogsOptions, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const count = parseJobCount(options.lines, options.follow === true);
      const state = await ctx.openState();
      try {
        const picked = options.job !== undefined ? [requireJob(state, options.job)] : undefined;
        if (agent !== undefined) {
          await checkAgentFilter(ctx, state, agent);
          if (picked && picked[0]!.agent !== agent)
            throw new UsageError(`job ${picked[0]!.id} belongs to agent ${picked[0]!.agent}, not ${agent}`);
        }
        // Oldest first, so the newest output ends up at the bottom of the terminal.
        const jobs = picked ?? (count === 0 ? [] : state.jobs.list({ agent, limit: count }).jobs.reverse());
        if (!options.follow) {
          if (ctx.json) await printJsonHistory(ctx, state, jobs);
          else await printHistory(ctx, state, jobs);
          return;
        }
        const write = drainedWriter(ctx.stdout);
        const emit = async (event: LogEvent) => {
          if (ctx.json) await write(`${JSON.stringify(event)}\n`);
          else for (const line of eventLines(ctx, event)) await write(`${line}\n`);
        };
        // How many lines of each job are already on screen, so following goes on right after them.
        const seen = new Map<string, number>();
        for (const job of jobs) {
          if (count === 0) {
            seen.set(job.id, state.jobOutputLineCount(job.id));
            continue;
          }
          if (!ctx.json) ctx.print(header(ctx, job));
          let lines = 0;
          for (const l of state.jobOutputLines(job.id)) {
            await emit(outputEvent(job, l));
            lines++;
          }
          seen.set(job.id, lines);
        }
        // A job shown above as running may end before following starts; it is still the one to end on.
        const shownRunning = jobs.filter((j) => !isTerminalStatus(j.status)).at(-1);
        await follow(ctx, state, {
          agent,
          picked: picked?.[0],
          shownRunning,
          seen,
          newOnly: count === 0,
          emit,
        });
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

/** `-n`: a count of jobs from 1, or 0 with -f for "only what is written from now on" (tail -n 0 -f). */
function parseJobCount(text: string, follow: boolean): number {
  if (text.trim() !== "0") return parseCount(text, "-n");
  if (follow) return 0;
  throw new UsageError('-n 0 shows nothing without -f; use "herdctl logs -f -n 0" to print only new output');
}

/** Streamed line by line: a job's output can be far larger than memory should hold. */
async function printHistory(
  ctx: CommandContext,
  state: StateManager,
  jobs: readonly JobRecord[],
): Promise<void> {
  if (jobs.length === 0) ctx.stderr.write(`${ctx.err.dim("no jobs yet")}\n`);
  const write = drainedWriter(ctx.stdout);
  for (const job of jobs) {
    ctx.print(header(ctx, job));
    for (const l of state.jobOutputLines(job.id))
      for (const line of renderMessage(l.message as { type: string }, ctx.out)) await write(`${line}\n`);
    if (isTerminalStatus(job.status)) for (const line of renderJobEnd(job, ctx.out)) ctx.print(line);
  }
}

/** `{ "jobs": [{ job, output }] }`, written as it is read. */
async function printJsonHistory(
  ctx: CommandContext,
  state: StateManager,
  jobs: readonly JobRecord[],
): Promise<void> {
  const write = drainedWriter(ctx.stdout);
  await write('{\n  "jobs": ');
  await writeJsonArray(write, jobs, "  ", async (job) => {
    await write(`{ "job": ${JSON.stringify(job)}, "output": `);
    await writeJsonArray(write, state.jobOutputLines(job.id), "    ");
    await write(" }");
  });
  await write("\n}\n");
}

function eventLines(ctx: CommandContext, event: LogEvent): string[] {
  if (event.type === "job:output")
    return renderMessage((event.payload as { message: { type: string } }).message, ctx.out);
  if (event.type === "job:started") return [header(ctx, event.payload as JobRecord)];
  if (END_EVENTS.has(event.type)) return renderJobEnd(event.payload as JobRecord, ctx.out);
  return [];
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
    /** The newest job printed above that was still running when listed. */
    shownRunning?: JobRecord;
    seen: ReadonlyMap<string, number>;
    /** -n 0: a job not shown yet starts at its current end, not at its first line. */
    newOnly: boolean;
    emit: (event: LogEvent) => Promise<void>;
  },
): Promise<void> {
  // Loaded here, not with the module: every command pays for what the command modules import.
  const { ControlClient, ControlError } = await import("@herdctl/core/internal/control/client");
  const client = await ControlClient.connect(state.socketPath);
  const { signal, dispose } = interruptSignal();
  try {
    if (!f.picked && client) {
      // The fleet's event stream sees every job, including ones that start after we begin.
      for await (const event of client.lines<LogEvent>("/api/events", signal)) {
        const p = event.payload as { agent?: string };
        if (!event.type.startsWith("job:") || event.type === "job:queued") continue;
        if (f.agent === undefined || p.agent === f.agent) await f.emit(event);
      }
      return;
    }
    // One job: the one asked for, or without a daemon the newest running one.
    const job =
      f.picked ??
      newestRunning(state, f.agent) ??
      (f.shownRunning ? state.jobs.require(f.shownRunning.id) : undefined);
    if (!job) {
      ctx.stderr.write(
        `${ctx.err.yellow("nothing to follow:")} no daemon is running and no job${f.agent ? ` of ${f.agent}` : ""} is running. ` +
          `Start the fleet with "herdctl start", or follow one job with --job ID.\n`,
      );
      return;
    }
    if (isTerminalStatus(job.status)) {
      await f.emit({ type: endEvent(job), payload: job });
      return;
    }
    const seen = f.seen.get(job.id) ?? (f.newOnly ? state.jobOutputLineCount(job.id) : 0);
    if (!f.seen.has(job.id) && !ctx.json && !f.picked) ctx.print(header(ctx, job));
    const lines = client
      ? client.lines<JobOutputLine>(`/api/jobs/${job.id}/output?from=${seen}&follow=1`, signal)
      : state.followJobOutput(job.id, { fromLine: seen, signal });
    for await (const l of lines) await f.emit(outputEvent(job, l));
    if (signal.aborted) return;
    const final = state.jobs.require(job.id);
    if (isTerminalStatus(final.status)) await f.emit({ type: endEvent(final), payload: final });
  } catch (error) {
    // Ctrl-C while the daemon's stream is opening rejects the request; that is a normal end.
    if (signal.aborted) return;
    // The daemon stopping ends following as Ctrl-C would, with a word about why.
    if (error instanceof ControlError && error.code === "DAEMON_GONE") {
      const unfinished = f.picked ? ` before job ${f.picked.id} ended` : "";
      ctx.stderr.write(`${ctx.err.yellow("the daemon stopped")}${unfinished}; nothing more to follow\n`);
      return;
    }
    if (error instanceof ControlError)
      throw new CliError(`the daemon could not stream logs: ${error.message}`);
    throw error;
  } finally {
    dispose();
  }
}

function newestRunning(state: StateManager, agent: string | undefined): JobRecord | undefined {
  // A job waiting for an approval is still live: its output goes on once someone decides.
  return state.jobs.list({ agent, status: ["running", "waiting_approval"], limit: 1 }).jobs[0];
}

function endEvent(job: JobRecord): string {
  if (job.status === "completed") return "job:completed";
  if (job.status === "cancelled") return "job:cancelled";
  if (job.status === "interrupted") return "job:interrupted";
  return "job:failed";
}
