import type { JobRecord } from "@herdctl/core";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { checkAgentFilter, parseCount, parseSince, parseStatus, requireJob } from "../lookup.js";
import { duration, jobCost, relativeTime, table } from "../output/format.js";
import type { Style } from "../output/style.js";
import { statusColour } from "../output/style.js";
import { visible } from "../output/terminal-text.js";

export interface JobsOptions {
  agent?: string;
  status?: string;
  limit: string;
  since?: string;
  before?: string;
}

const SUMMARY_WIDTH = 50;

function oneLine(text: string | null, width: number): string {
  if (!text) return "-";
  const flat = visible(text.replace(/\s+/g, " ").trim());
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

export function jobsTable(jobs: readonly JobRecord[], style: Style, now = Date.now()): string {
  // A PostgreSQL fleet's jobs name the worker that ran them; a SQLite fleet's table is unchanged.
  const workers = jobs.some((j) => j.workerId);
  const header = ["ID", "AGENT", "STATUS", "TRIGGER", "SCHEDULE", "STARTED", "DURATION", "COST", "SUMMARY"];
  if (workers) header.splice(3, 0, "WORKER");
  return table(
    header,
    jobs.map((j) => [
      j.id,
      j.agent,
      statusColour(style, j.status),
      ...(workers ? [j.workerId ?? "-"] : []),
      j.attempt > 1 ? `${j.triggerType} (attempt ${j.attempt})` : j.triggerType,
      j.schedule ?? "-",
      relativeTime(j.startedAt ?? j.createdAt, now),
      duration(j.durationMs),
      jobCost(j),
      oneLine(j.summary ?? j.error, SUMMARY_WIDTH),
    ]),
  );
}

export function registerJobs(program: Command): void {
  program
    .command("jobs")
    .description("list jobs, newest first")
    .option("-a, --agent <name>", "only this agent's jobs")
    .option("-S, --status <status>", "only jobs with this status (comma-separated for several)")
    .option("-l, --limit <n>", "at most this many jobs", "20")
    .option("--since <time>", "only jobs created since a time (ISO) or for a duration back (2h, 1d)")
    .option("--before <job-id>", "only jobs older than this one (the nextCursor of a previous page)")
    .action((options: JobsOptions, command: Command) =>
      listJobs(new CommandContext(command.optsWithGlobals()), options),
    );
}

/** `herdctl jobs [options]`: a page of the job history, newest first. */
export async function listJobs(ctx: CommandContext, options: JobsOptions): Promise<void> {
  const limit = parseCount(options.limit, "--limit");
  const status = options.status === undefined ? undefined : parseStatus(options.status);
  const since = options.since === undefined ? undefined : parseSince(options.since);
  const state = await ctx.openState();
  try {
    if (options.agent !== undefined) await checkAgentFilter(ctx, state, options.agent);
    if (options.before !== undefined) requireJob(state, options.before);
    const page = state.jobs.list({ agent: options.agent, status, since, before: options.before, limit });
    if (ctx.json) {
      ctx.printJson(page);
      return;
    }
    if (page.jobs.length === 0) {
      ctx.print("no jobs match");
      return;
    }
    ctx.print(jobsTable(page.jobs, ctx.out));
    if (page.nextCursor)
      ctx.print(
        ctx.out.dim(
          `more: herdctl jobs --before ${page.nextCursor}${options.agent ? ` -a ${options.agent}` : ""}`,
        ),
      );
  } finally {
    state.close();
  }
}
