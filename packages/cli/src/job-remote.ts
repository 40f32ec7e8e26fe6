import type { ControlClient, JobRecord } from "@herdctl/core/internal";
import { ControlError, isNoDaemon } from "@herdctl/core/internal/control/control-error";
import { DAEMON_SILENCE_LIMIT_MS } from "@herdctl/core/internal/control/silence";
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

/** What a daemon's streamed trigger sends: the job, its output lines, then its end (or an error). */
type TriggerLine =
  | { job: JobRecord }
  | { line: number; message: unknown }
  | { end: JobRecord }
  | { error: { code: string; message: string } };

/**
 * Triggers through the daemon listening on the client's socket; with `wait`, streams the job and
 * ends with its record. One request: no health check first (a socket no daemon listens on is
 * undefined: run the job here), and with `wait` the trigger streams the job to its end. A daemon
 * from before that stream answers `{ job }` alone; the job is then followed and waited for as it
 * used to be. `onDaemon` runs once a daemon has answered.
 */
export async function triggerThroughDaemon(
  ctx: CommandContext,
  client: ControlClient,
  t: RemoteTrigger,
  onDaemon: () => void = () => {},
): Promise<JobRecord | undefined> {
  const path = `/api/agents/${encodeURIComponent(t.agent)}/trigger`;
  const body = {
    prompt: t.prompt,
    schedule: t.schedule,
    fresh: t.fresh,
    resume: t.resume,
    fork: t.fork,
    noQueue: t.noQueue,
    ...(t.force ? { force: true } : {}),
  };
  let answer: Awaited<ReturnType<typeof client.stream<TriggerLine>>>;
  try {
    answer = t.wait
      ? await client.stream<TriggerLine>("POST", `${path}?follow=1`, body)
      : { json: await client.call("POST", path, body, DAEMON_SILENCE_LIMIT_MS) };
  } catch (error) {
    if (isNoDaemon(error)) return undefined;
    // Silent before any answer: a daemon that is there but hung, which must not be run around.
    if (
      error instanceof ControlError &&
      (error.code === "DAEMON_TIMEOUT" || error.code === "DAEMON_UNRESPONSIVE")
    )
      throw client.unanswered();
    throw error;
  }
  onDaemon();
  if (!t.wait) {
    const { job } = (answer as { json: { job: JobRecord } }).json;
    if (ctx.json) ctx.printJson(job);
    else ctx.print(`${job.id} ${job.status}`);
    return job;
  }
  const follower = new Follower(ctx, client, t.quiet === true || ctx.json);
  let final: JobRecord | undefined;
  try {
    if ("lines" in answer) {
      for await (const item of answer.lines) {
        if ("job" in item) follower.begin(item.job);
        else if ("end" in item) final = item.end;
        else if ("error" in item) throw new ControlError(500, item.error.code, item.error.message);
        else follower.show(item.message);
      }
    } else {
      // A daemon that does not stream its trigger: follow the job's output, then wait for its end.
      const { job } = answer.json as { job: JobRecord };
      follower.begin(job);
      for await (const line of client.lines<{ line: number; message: unknown }>(
        `/api/jobs/${job.id}/output?follow=1`,
      ))
        follower.show(line.message);
      ({ job: final } = await client.call<{ job: JobRecord }>("POST", `/api/jobs/${job.id}/wait`));
    }
  } catch (error) {
    throw follower.job ? lostWhileFollowing(follower.job.id, error) : error;
  } finally {
    follower.stop();
  }
  if (!final)
    throw new CliError(
      `the daemon ended job ${follower.job?.id ?? "(unknown)"}'s stream before the job's end; ` +
        `"herdctl job <id>" shows how it ended`,
    );
  if (ctx.json) ctx.printJson(final);
  else if (t.quiet) printQuietly(ctx, final);
  else for (const line of renderJobEnd(final, ctx.out)) ctx.print(line);
  return final;
}

/** What `--wait` shows of a job the daemon runs: its output, a spinner, and Ctrl-C to cancel it. */
class Follower {
  job: JobRecord | undefined;
  private readonly spinner: Spinner;
  private cancelling = false;
  private readonly onSigint = () => {
    if (this.cancelling || !this.job) return;
    this.cancelling = true;
    this.ctx.stderr.write(`\n${this.ctx.err.yellow("cancelling the job…")}\n`);
    void this.client.call("POST", `/api/jobs/${this.job.id}/cancel`).catch(() => {});
  };

  constructor(
    private readonly ctx: CommandContext,
    private readonly client: ControlClient,
    private readonly quiet: boolean,
  ) {
    this.spinner = new Spinner(ctx.stderr, !quiet && ctx.err.enabled);
  }

  begin(job: JobRecord): void {
    this.job = job;
    if (!this.quiet)
      this.ctx.stderr.write(
        this.ctx.err.dim(`job ${job.id} ${job.status} for ${job.agent} (through the daemon)\n`),
      );
    process.on("SIGINT", this.onSigint);
    this.spinner.start("waiting for the model");
  }

  show(message: unknown): void {
    if (this.quiet) return;
    const lines = renderMessage(message as never, this.ctx.out);
    if (lines.length === 0) return;
    this.spinner.pause();
    for (const l of lines) this.ctx.print(l);
    this.spinner.start("working");
  }

  stop(): void {
    this.spinner.stop();
    process.off("SIGINT", this.onSigint);
  }
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
