import type { FileFixes } from "@herdctl/core/internal";
import { ConfigError, formatIssue } from "@herdctl/core/internal/config/errors";
import type { Command } from "commander";
import { CommandContext } from "../context.js";

export function registerConfig(program: Command): void {
  const config = program.command("config").description("check and show the fleet configuration");

  config
    .command("validate")
    .description("check the fleet and agent files; lists every problem")
    .option(
      "--fix",
      "first apply the safe automatic fixes (renamed keys) in place, keeping comments and layout",
    )
    .action(async (options: { fix?: boolean }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const { fixConfigFiles } = await import("../on-demand/fleet-config.js");
      const fixed = options.fix ? await fixConfigFiles(ctx.configPath()) : undefined;
      if (fixed && !ctx.json) printFixes(ctx, fixed);
      try {
        const fleet = await ctx.fleet();
        const { workspaceAccessProblem } = await import("../on-demand/fleet-config.js");
        // Valid, yet the agent will not work: said here so it is found before a job fails.
        const workspaces = fleet.agents.flatMap((a) => workspaceAccessProblem(a) ?? []);
        if (ctx.json) {
          ctx.printJson({
            valid: true,
            ...(fixed ? { fixed } : {}),
            configPath: fleet.configPath,
            agents: fleet.agents.length,
            warnings: fleet.warnings,
            workspaceProblems: workspaces,
          });
        } else {
          for (const problem of workspaces) ctx.warn(problem.message);
          ctx.print(
            `${ctx.out.green("ok")} ${fleet.configPath}: fleet ${fleet.fleet.name}, ${fleet.agents.length} agent${fleet.agents.length === 1 ? "" : "s"}`,
          );
        }
      } catch (error) {
        if (!(error instanceof ConfigError) || !ctx.json) throw error;
        ctx.printJson({
          valid: false,
          ...(fixed ? { fixed } : {}),
          issues: error.issues,
          messages: error.issues.map(formatIssue),
        });
        process.exitCode = 1;
      }
    });

  config
    .command("show")
    .description("print the resolved fleet, with secrets redacted")
    .action(async (_options: unknown, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const fleet = await ctx.fleet();
      const { redactConfig, stringify, withWrittenValues } = await import("../on-demand/fleet-config.js");
      const shown = redactConfig(fleet);
      // --json keeps durations in milliseconds for programs; people read them as they wrote them.
      if (ctx.json) ctx.printJson(shown);
      else ctx.print(stringify(withWrittenValues(shown, fleet.written)).trimEnd());
    });
}

function printFixes(ctx: CommandContext, fixed: FileFixes[]): void {
  const count = fixed.reduce((n, f) => n + f.changes.length, 0);
  for (const file of fixed) {
    for (const change of file.changes)
      ctx.print(`fixed ${file.display}:${change.line} ${change.where}: ${change.description}`);
    if (file.skipped) ctx.warn(`${file.display} not changed: ${file.skipped}`);
  }
  if (count === 0) ctx.print("nothing to fix automatically");
}
