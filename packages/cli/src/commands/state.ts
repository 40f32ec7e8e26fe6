// biome-ignore-all lint/suspicious/noTemplateCurlyInString: help and messages show a literal ${VAR}, which the command reads itself
import type { Command } from "commander";

// Modules are loaded inside the action: every other command line pays nothing for this one.

interface MigrateFlags {
  to?: string;
  dryRun?: boolean;
}

/** `${NAME}` as the whole of --to: the URL is read from the environment, so it stays out of ps. */
const VARIABLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export function registerState(program: Command): void {
  const state = program.command("state").description("the fleet's state store");
  state
    .command("migrate")
    .description(
      "copy this fleet's SQLite state (.herdctl/herdctl.db) into an empty PostgreSQL database, all or nothing",
    )
    .option(
      "--to <url>",
      "postgres://user:password@host:port/database, or '${VAR}' to read it from the environment " +
        "(default: the fleet file's state.url)",
    )
    .option("--dry-run", "check the source and the target and count the rows; write nothing")
    .action(async (flags: MigrateFlags, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const { CliError, UsageError } = await import("../errors.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const url = await targetUrl(ctx, flags.to, UsageError);
      const { pgUrlProblem } = await import("@herdctl/core/internal/state/pg/url");
      const problem = pgUrlProblem(url);
      if (problem) throw new UsageError(`--to ${problem.message}: ${problem.hint}`);
      const { migrateSqliteToPg, StateMigrateError } = await import(
        "@herdctl/core/internal/state/migrate-to-pg"
      );
      const { showPgUrl } = await import("@herdctl/core/internal/state/pg/url");
      const stateDir = ctx.stateDir();
      const dryRun = flags.dryRun === true;
      if (!ctx.json) ctx.print(`${dryRun ? "Checking" : "Copying"} ${stateDir} → ${showPgUrl(url)}`);
      let report: import("@herdctl/core/internal/state/migrate-to-pg").MigrateReport;
      try {
        report = migrateSqliteToPg({
          stateDir,
          url,
          dryRun,
          onTable: ctx.json
            ? undefined
            : (table, rows) =>
                ctx.print(`  ${table.padEnd(18)} ${rows.toLocaleString("en-US").padStart(12)}`),
        });
      } catch (error) {
        if (error instanceof StateMigrateError) throw new CliError(error.message);
        throw error;
      }
      if (ctx.json) {
        ctx.printJson(report);
        return;
      }
      const total = report.tables.reduce((sum, t) => sum + t.rows, 0);
      ctx.print(
        dryRun
          ? `Dry run: ${total.toLocaleString("en-US")} rows would be copied (schema version ${report.schemaVersion}); nothing was written.`
          : `Copied ${total.toLocaleString("en-US")} rows in one transaction (schema version ${report.schemaVersion}).`,
      );
      if (!dryRun)
        ctx.print(
          "Job output stays in the state directory's jobs/ folder. Point the fleet at the database " +
            "(state: { backend: postgres, url: ${VAR} }) before the next start; the SQLite file is left as it was.",
        );
    });
}

async function targetUrl(
  ctx: import("../context.js").CommandContext,
  to: string | undefined,
  UsageError: typeof import("../errors.js").UsageError,
): Promise<string> {
  if (to !== undefined) {
    const variable = VARIABLE.exec(to);
    if (!variable) return to;
    const value = process.env[variable[1]!];
    if (value === undefined || value === "")
      throw new UsageError(`--to ${to}: ${variable[1]} is not set in the environment; export it first`);
    return value;
  }
  const backend = await ctx.stateBackend();
  if (backend.kind !== "postgres")
    throw new UsageError(
      "say where to copy the state: --to '${DATABASE_URL}', or state: { backend: postgres, url: ${DATABASE_URL} } in the fleet file",
    );
  return backend.url;
}
