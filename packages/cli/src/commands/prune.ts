import type { Command } from "commander";

// Modules are loaded inside the action: a command line that prunes nothing should not pay for them.

interface PruneOptions {
  dryRun?: boolean;
  olderThan?: string;
  keep?: string;
  outputOlderThan?: string;
}

interface Report {
  dryRun: boolean;
  records: number;
  outputs: number;
  protected: number;
  outputBytes: number;
  /** Absent from a daemon older than audit retention. */
  auditEntries?: number;
  databaseBytesBefore: number;
  databaseBytesAfter: number;
  freedBytes: number;
}

export function registerPrune(program: Command): void {
  program
    .command("prune")
    .description(
      "remove old job records and output by state.retention (or the limits given); never running, queued or resumable jobs",
    )
    .option("--dry-run", "say what would go, remove nothing")
    .option("--older-than <duration>", "job records (with output) older than this, e.g. 90d")
    .option("--keep <n>", "keep at most this many newest jobs per agent")
    .option("--output-older-than <duration>", "output files older than this; their records stay")
    .action(async (options: PruneOptions, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const { UsageError } = await import("../errors.js");
      const { parseCount } = await import("../lookup.js");
      const { daemonClient } = await import("../daemon.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const given = options.olderThan ?? options.keep ?? options.outputOlderThan;
      const flagLimits =
        given === undefined
          ? undefined
          : {
              ...(options.olderThan ? { jobs: options.olderThan } : {}),
              ...(options.keep ? { max_jobs_per_agent: parseCount(options.keep, "--keep", 10_000_000) } : {}),
              ...(options.outputOlderThan ? { output: options.outputOlderThan } : {}),
            };
      const client = await daemonClient(ctx);
      let report: Report;
      if (client) {
        const { ControlError } = await import("@herdctl/core/essentials");
        try {
          report = await client.call<Report>("POST", "/api/state/prune", {
            dryRun: options.dryRun === true,
            ...(flagLimits ? { limits: flagLimits } : {}),
          });
        } catch (error) {
          if (error instanceof ControlError) throw new UsageError(error.message);
          throw error;
        }
      } else {
        const { parseDuration, localUserActor } = await import("@herdctl/core/essentials");
        const { hasLimits, prune } = await import("@herdctl/core/internal/retention/prune");
        const duration = (flag: string, text: string | undefined) => {
          if (text === undefined) return undefined;
          try {
            return parseDuration(text);
          } catch (error) {
            throw new UsageError(`${flag} "${text}": ${(error as Error).message}`);
          }
        };
        const limits = flagLimits
          ? {
              jobs: duration("--older-than", options.olderThan),
              max_jobs_per_agent: flagLimits.max_jobs_per_agent,
              output: duration("--output-older-than", options.outputOlderThan),
            }
          : (await ctx.fleet()).fleet.retention;
        if (!hasLimits(limits))
          throw new UsageError(
            "nothing to prune by: set state.retention in herdctl.yaml (jobs, max_jobs_per_agent, output, audit) or pass --older-than, --keep or --output-older-than",
          );
        const state = await ctx.openState();
        try {
          report = await prune(state, limits, {
            now: new Date(),
            dryRun: options.dryRun === true,
            actor: localUserActor(),
          });
          if (!report.dryRun)
            state.audit.append({
              action: "state.prune",
              ...localUserActor(),
              target: null,
              detail: { records: report.records, outputs: report.outputs, freedBytes: report.freedBytes },
            });
        } finally {
          state.close();
        }
      }
      if (ctx.json) {
        ctx.printJson(report);
        return;
      }
      const { bytes } = await import("../output/format.js");
      const verb = report.dryRun ? "would remove" : "removed";
      ctx.print(
        `${verb} ${report.records} job records with their output and ${report.outputs} more output files (${bytes(report.outputBytes)} of output)`,
      );
      if (!report.dryRun)
        ctx.print(
          `database ${bytes(report.databaseBytesBefore)} → ${bytes(report.databaseBytesAfter)}; ${bytes(report.freedBytes)} freed in all`,
        );
      if (report.auditEntries)
        ctx.print(
          `${verb} ${report.auditEntries} audit entries older than state.retention.audit; herdctl audit verify starts after them`,
        );
      if (report.protected > 0)
        ctx.print(
          `kept ${report.protected} jobs the limits named: running, queued, or holding a session that continues`,
        );
    });
}
