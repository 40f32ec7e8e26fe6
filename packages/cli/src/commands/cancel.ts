import type { JobRecord } from "@herdctl/core";
import { isTerminalStatus } from "@herdctl/core/internal/state/job-status";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { CliError } from "../errors.js";
import { requireJob } from "../lookup.js";
import { statusColour } from "../output/style.js";

export function registerCancel(program: Command): void {
  program
    .command("cancel")
    .description(
      "cancel a running or queued job, or a failed job's planned retry (through the running daemon)",
    )
    .argument("<id>", "job id (from herdctl jobs)")
    .option("-f, --force", "kill claude at once instead of letting it stop gracefully")
    .option("-y, --yes", "do not ask for confirmation on a terminal")
    .action(async (id: string, options: { force?: boolean; yes?: boolean }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const state = await ctx.openState();
      let job: JobRecord;
      try {
        job = requireJob(state, id);
      } finally {
        state.close();
      }
      const dropsRetry = isTerminalStatus(job.status) && job.nextRetryAt !== null;
      if (isTerminalStatus(job.status) && !dropsRetry) {
        throw new CliError(`job ${job.id} already ended (${job.status}); nothing to cancel`);
      }
      // Loaded here, not with the module: every command pays for what the command modules import.
      const { ControlClient, ControlError } = await import("@herdctl/core/internal/control/client");
      const client = await ControlClient.connect(state.socketPath);
      if (!client && !dropsRetry && (await ctx.stateBackend()).kind === "postgres") {
        const cancelled = await (await import("../cluster-cancel.js")).cancelOnCluster(ctx, job.id);
        if (ctx.json) ctx.printJson({ job: cancelled });
        else ctx.print(`job ${cancelled.id} ${statusColour(ctx.out, cancelled.status)}`);
        return;
      }
      if (!client) {
        throw new CliError(
          `job ${job.id} is marked ${job.status}, but no herdctl daemon is running, so nothing here can cancel it. ` +
            `If "herdctl trigger" is running it in another terminal, press Ctrl-C there; if that process is gone, ` +
            `the next "herdctl start" marks the job interrupted.`,
        );
      }
      // Asked only of a person at a terminal; scripts and --json go ahead.
      if (!options.yes && !ctx.json && process.stdin.isTTY && process.stdout.isTTY) {
        const what = dropsRetry
          ? `the planned retry of job ${job.id}`
          : `job ${job.id} (${job.agent}, ${job.status})`;
        if (!(await confirm(`cancel ${what}${options.force ? ", killing claude at once" : ""}? [y/N] `))) {
          ctx.print("not cancelled");
          return;
        }
      }
      let cancelled: JobRecord;
      try {
        const query = options.force ? "?force=1" : "";
        cancelled = (await client.call<{ job: JobRecord }>("POST", `/api/jobs/${job.id}/cancel${query}`)).job;
      } catch (error) {
        if (error instanceof ControlError)
          throw new CliError(`the daemon could not cancel ${job.id}: ${error.message}`);
        throw error;
      }
      if (ctx.json) ctx.printJson({ job: cancelled });
      else if (dropsRetry)
        ctx.print(
          `job ${cancelled.id} ${statusColour(ctx.out, cancelled.status)}; its next attempt (${job.attempt + 1}) will not run`,
        );
      else ctx.print(`job ${cancelled.id} ${statusColour(ctx.out, cancelled.status)}`);
    });
}

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
