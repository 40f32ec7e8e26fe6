import type { ControlClient, JobRecord } from "@herdctl/core/internal";
import { ControlError } from "@herdctl/core/internal/control/control-error";
import type { CommandContext } from "./context.js";
import { CliError } from "./errors.js";
import { printQuietly, renderJobEnd, renderMessage } from "./output/job-render.js";
import { Spinner } from "./output/spinner.js";

export interface RemoteTrigger {
  agent: string;
  prompt?: string;
  schedule?: string;
  fresh?: boolean;
  resume?: string;
  fork?: string;
  noQueue?: boolean;
  /** Run even when a budget is spent. */
  force?: boolean;
  wait: boolean;
  /** Print only the final result: no stream, no progress. */
  quiet?: boolean;
}

/** Triggers through the running daemon; with `wait`, streams the job and ends with its record. */
export async function triggerThroughDaemon(
  ctx: CommandContext,
  client: ControlClient,
  t: RemoteTrigger,
): Promise<JobRecord> {
  const { job } = await client.call<{ job: JobRecord }>(
    "POST",
    `/api/agents/${encodeURIComponent(t.agent)}/trigger`,
    {
      prompt: t.prompt,
      schedule: t.schedule,
      fresh: t.fresh,
      resume: t.resume,
      fork: t.fork,
      noQueue: t.noQueue,
      ...(t.force ? { force: true } : {}),
    },
  );
  if (!t.wait) {
    if (ctx.json) ctx.printJson(job);
    else ctx.print(`${job.id} ${job.status}`);
    return job;
  }
  const quiet = t.quiet === true || ctx.json;
  if (!quiet)
    ctx.stderr.write(ctx.err.dim(`job ${job.id} ${job.status} for ${job.agent} (through the daemon)\n`));
  const controller = new AbortController();
  let cancelling = false;
  const onSigint = () => {
    if (cancelling) return;
    cancelling = true;
    ctx.stderr.write(`\n${ctx.err.yellow("cancelling the job…")}\n`);
    void client.call("POST", `/api/jobs/${job.id}/cancel`).catch(() => {});
  };
  process.on("SIGINT", onSigint);
  const spinner = new Spinner(ctx.stderr, !quiet && ctx.err.enabled);
  spinner.start("waiting for the model");
  try {
    for await (const line of client.lines<{ line: number; message: unknown }>(
      `/api/jobs/${job.id}/output?follow=1`,
      controller.signal,
    )) {
      if (quiet) continue;
      const lines = renderMessage(line.message as never, ctx.out);
      if (lines.length === 0) continue;
      spinner.pause();
      for (const l of lines) ctx.print(l);
      spinner.start("working");
    }
  } catch (error) {
    throw lostWhileFollowing(job.id, error);
  } finally {
    spinner.stop();
    process.off("SIGINT", onSigint);
  }
  const { job: final } = await client.call<{ job: JobRecord }>("POST", `/api/jobs/${job.id}/wait`);
  if (ctx.json) ctx.printJson(final);
  else if (t.quiet) printQuietly(ctx, final);
  else for (const line of renderJobEnd(final, ctx.out)) ctx.print(line);
  return final;
}

/** A followed job's stream that ended because the daemon went away, said as what to do next. */
export function lostWhileFollowing(jobId: string, error: unknown): unknown {
  if (error instanceof ControlError && (error.code === "DAEMON_GONE" || error.code === "DAEMON_UNRESPONSIVE"))
    return new CliError(
      `lost the daemon while waiting for job ${jobId}: ${error.message}. ` +
        `The job did not finish here; once the daemon runs again, "herdctl jobs" shows how it ended ` +
        `(a job the daemon was running when it died is marked interrupted).`,
    );
  return error;
}
