import type { JobOutputLine, JobRecord } from "@herdctl/core";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { describeOrigin, type JobOrigin, jobOrigin } from "../job-origin.js";
import { requireJob } from "../lookup.js";
import { duration, relativeTime, usd } from "../output/format.js";
import { renderMessage } from "../output/job-render.js";
import { type Style, statusColour } from "../output/style.js";

function when(iso: string | null): string {
  return iso ? `${iso} (${relativeTime(iso)})` : "-";
}

function count(n: number | null): string {
  return n === null ? "-" : String(n);
}

/** Label/value lines for every field of a job, in the order people read them. */
export function jobDetails(job: JobRecord, style: Style, origin: JobOrigin | null = null): string[] {
  const rows: [string, string][] = [
    ["Job", style.bold(job.id)],
    ["Agent", job.agent],
    ["Status", statusColour(style, job.status) + (job.exitReason ? style.dim(` (${job.exitReason})`) : "")],
    ["Trigger", job.triggerType + (job.attempt > 1 ? ` (attempt ${job.attempt})` : "")],
    ["Schedule", job.schedule ?? "-"],
    ["Runtime", `${job.runtime}${job.docker ? " in Docker" : ""}`],
    ["Session", job.sessionId ?? "-"],
    ["Resumed from", describeOrigin(origin, job)],
    ["Created", when(job.createdAt)],
    ["Started", when(job.startedAt)],
    ["Finished", when(job.finishedAt)],
    ["Duration", duration(job.durationMs)],
    ["Turns", count(job.numTurns)],
    [
      "Tokens",
      job.inputTokens === null && job.outputTokens === null
        ? "-"
        : `${job.inputTokens ?? 0} in / ${job.outputTokens ?? 0} out` +
          (job.cacheReadTokens || job.cacheCreationTokens
            ? ` (cache: ${job.cacheReadTokens ?? 0} read, ${job.cacheCreationTokens ?? 0} written)`
            : ""),
    ],
    ["Cost", usd(job.costUsd)],
  ];
  if (job.pid !== null) rows.push(["Process", String(job.pid)]);
  if (job.containerId !== null) rows.push(["Container", job.containerId.slice(0, 12)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${style.dim(`${label}:`.padEnd(width + 1))} ${value}`);
  lines.push("", style.dim("Prompt:"), ...indent(job.prompt));
  if (job.summary) lines.push("", style.dim("Summary:"), ...indent(job.summary));
  if (job.error) lines.push("", style.red("Error:"), ...indent(job.error));
  if (job.hookErrors?.length) {
    lines.push("", style.yellow("Hook errors:"));
    for (const h of job.hookErrors) lines.push(`  ${h.hook}: ${h.message}`);
  }
  return lines;
}

function indent(text: string): string[] {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => `  ${l}`);
}

/** Human lines for stored output lines, skipping what renderMessage leaves out. */
export function renderOutput(lines: readonly JobOutputLine[], style: Style): string[] {
  return lines.flatMap((l) => renderMessage(l.message as { type: string }, style));
}

export function registerJob(program: Command): void {
  program
    .command("job")
    .description("show one job in full")
    .argument("<id>", "job id (from herdctl jobs)")
    .option("--logs", "also print the job's output")
    .action(async (id: string, options: { logs?: boolean }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const state = ctx.openState();
      try {
        const job = requireJob(state, id);
        const origin = jobOrigin(state, job);
        const output = options.logs ? state.readJobOutput(job.id) : undefined;
        if (ctx.json) {
          ctx.printJson(output ? { job, origin, output } : { job, origin });
          return;
        }
        for (const line of jobDetails(job, ctx.out, origin)) ctx.print(line);
        if (output) {
          ctx.print("");
          ctx.print(ctx.out.dim(`Output (${output.length} message${output.length === 1 ? "" : "s"}):`));
          for (const line of renderOutput(output, ctx.out)) ctx.print(line);
        }
      } finally {
        state.close();
      }
    });
}
