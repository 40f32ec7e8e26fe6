import type { JobMessage, JobRecord } from "@herdctl/core";
import type { CommandContext } from "../context.js";
import { duration, jobCost } from "../output/format.js";
import { renderMessage } from "../output/job-render.js";
import { Spinner } from "../output/spinner.js";
import { statusColour } from "../output/style.js";
import { visible } from "../output/terminal-text.js";

/**
 * One turn on a terminal: the reply and one line per tool call as they stream, a spinner in the
 * silences between them, and a line saying how the turn ended.
 */
export class TurnView {
  private readonly spinner: Spinner;

  constructor(
    private readonly ctx: CommandContext,
    private readonly agent: string,
  ) {
    this.spinner = new Spinner(ctx.stderr, ctx.err.enabled);
  }

  begin(): void {
    this.spinner.start(`${this.agent} is thinking`);
  }

  message(message: JobMessage): void {
    const lines = renderMessage(message, this.ctx.out);
    if (lines.length === 0) return;
    this.spinner.pause();
    for (const line of lines) this.ctx.print(line);
    this.spinner.start("working");
  }

  /** A line of ours between the turn's messages, e.g. that Ctrl-C is interrupting it. */
  note(text: string): void {
    this.spinner.pause();
    this.ctx.print(text);
    this.spinner.start("working");
  }

  end(job: JobRecord): void {
    this.spinner.stop();
    const { out } = this.ctx;
    const facts = out.dim(` · ${duration(job.durationMs)} · ${jobCost(job)}`);
    if (job.status === "cancelled")
      this.ctx.print(out.yellow(`· interrupted (${job.id}); the chat goes on with your next message`));
    else this.ctx.print(`${out.dim(`· ${job.id}`)} ${statusColour(out, job.status)}${facts}`);
    if (job.status !== "completed" && job.status !== "cancelled" && job.error)
      this.ctx.print(out.red(visible(job.error)));
  }

  stop(): void {
    this.spinner.stop();
  }
}
