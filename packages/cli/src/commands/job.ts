import type { JobRecord } from "@herdctl/core";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { describeOrigin, type JobOrigin, jobOrigin } from "../job-origin.js";
import { requireJob } from "../lookup.js";
import { duration, jobCost, relativeTime } from "../output/format.js";
import { renderMessage } from "../output/job-render.js";
import { drainedWriter, printJsonWithArray } from "../output/streamed-output.js";
import { type Style, statusColour } from "../output/style.js";
import { visible } from "../output/terminal-text.js";

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
    [
      "Status",
      statusColour(style, job.status) +
        (job.exitReason
          ? style.dim(` (${job.exitReason}${job.apiErrorKind ? `: ${visible(job.apiErrorKind)}` : ""})`)
          : ""),
    ],
    ["Trigger", job.triggerType + (job.attempt > 1 ? ` (attempt ${job.attempt})` : "")],
    ["Schedule", job.schedule ?? "-"],
    ["Runtime", `${job.runtime}${job.docker ? " in Docker" : ""}`],
    ...(job.workerId
      ? [
          ["Worker", job.workerId + (job.cancelRequested ? style.yellow(" (cancel requested)") : "")] as [
            string,
            string,
          ],
        ]
      : []),
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
    ["Cost", jobCost(job)],
  ];
  if (job.forkedFrom !== null) rows.push(["Forked from", job.forkedFrom]);
  if (job.retryOf !== null) rows.push(["Retry of", job.retryOf]);
  if (job.nextRetryAt !== null) rows.push(["Next attempt", `${job.attempt + 1}, ${when(job.nextRetryAt)}`]);
  if (job.pid !== null) rows.push(["Process", String(job.pid)]);
  if (job.containerId !== null) rows.push(["Container", job.containerId.slice(0, 12)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${style.dim(`${label}:`.padEnd(width + 1))} ${value}`);
  lines.push("", style.dim("Prompt:"), ...indent(job.prompt));
  if (job.summary) lines.push("", style.dim("Summary:"), ...indent(job.summary));
  if (job.error) lines.push("", style.red("Error:"), ...indent(job.error));
  if (job.metadata)
    lines.push(
      "",
      style.dim("Metadata (written by the agent):"),
      ...indent(JSON.stringify(job.metadata, null, 2)),
    );
  if (job.egress?.length) {
    lines.push("", style.dim("Network egress (through herdctl's proxy):"));
    const refusedFirst = [...job.egress].sort((a, b) => Number(a.allowed) - Number(b.allowed));
    for (const e of refusedFirst) {
      const where = `${visible(e.host)}:${e.port}`;
      const count = `${e.connections} connection${e.connections === 1 ? "" : "s"}`;
      lines.push(
        e.allowed
          ? `  ${where}  allowed, ${count}, ${e.bytesUp} B sent, ${e.bytesDown} B received${e.reason ? ` (failed: ${visible(e.reason)})` : ""}`
          : `  ${style.yellow(where)}  refused, ${count}`,
      );
    }
  }
  if (job.toolFailures?.length) {
    lines.push("", style.yellow("Refused tool calls (the job's status is claude's own):"));
    for (const f of job.toolFailures)
      lines.push(`  ${visible(f.tool)}${f.target ? ` ${visible(f.target)}` : ""} (${visible(f.reason)})`);
  }
  if (job.hookErrors?.length) {
    lines.push("", style.yellow("Hook errors:"));
    for (const h of job.hookErrors) lines.push(`  ${visible(h.hook)}: ${visible(h.message)}`);
  }
  return lines;
}

function indent(text: string): string[] {
  return visible(text)
    .trimEnd()
    .split("\n")
    .map((l) => `  ${l}`);
}

export function registerJob(program: Command): void {
  program
    .command("job")
    .description("show one job in full")
    .argument("<id>", "job id (from herdctl jobs)")
    .option("--logs", "also print the job's output")
    .action((id: string, options: { logs?: boolean }, command: Command) =>
      showJob(new CommandContext(command.optsWithGlobals()), id, options),
    );
}

/** `herdctl job <id> [--logs]`: one job in full, and its output with --logs. */
export async function showJob(ctx: CommandContext, id: string, options: { logs?: boolean }): Promise<void> {
  const state = await ctx.openState();
  try {
    const job = requireJob(state, id);
    const origin = jobOrigin(state, job);
    // Output is streamed line by line: a job's output can be far larger than memory should hold.
    const write = drainedWriter(ctx.stdout);
    if (ctx.json) {
      if (options.logs)
        await printJsonWithArray(write, { job, origin }, "output", state.jobOutputLines(job.id));
      else ctx.printJson({ job, origin });
      return;
    }
    for (const line of jobDetails(job, ctx.out, origin)) ctx.print(line);
    if (options.logs) {
      const count = state.jobOutputLineCount(job.id);
      ctx.print("");
      ctx.print(ctx.out.dim(`Output (${count} message${count === 1 ? "" : "s"}):`));
      for (const l of state.jobOutputLines(job.id))
        for (const line of renderMessage(l.message as { type: string }, ctx.out)) await write(`${line}\n`);
    }
  } finally {
    state.close();
  }
}
