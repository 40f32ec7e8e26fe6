import type { UsageReport } from "@herdctl/core/internal";
import type { Command } from "commander";

// Modules are loaded inside the action: a command line that asks for no usage should not pay for them.

type Context = InstanceType<typeof import("../context.js").CommandContext>;

interface UsageOptions {
  by: string;
  since?: string;
  agent?: string;
}

export function registerUsage(program: Command): void {
  program
    .command("usage")
    .description(
      "spend, tokens, outcomes and durations of past jobs, per agent or per day (the dashboard's usage page)",
    )
    .option("--by <what>", "one row per agent or per day: agent|day", "agent")
    .option("--since <time>", "jobs created since a time (ISO) or for a duration back (2h, 7d); default 30d")
    .option("-a, --agent <name>", "only this agent's jobs")
    .action(async (options: UsageOptions, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const { UsageError } = await import("../errors.js");
      const { parseSince } = await import("../lookup.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      if (options.by !== "agent" && options.by !== "day")
        throw new UsageError(`--by "${options.by}": say agent (one row per agent) or day (one row per day)`);
      const since = options.since === undefined ? undefined : parseSince(options.since);
      const report = await usageOf(ctx, since, options.agent);
      if (ctx.json) {
        ctx.printJson(report);
        return;
      }
      const { usageTable } = await import("../output/usage-table.js");
      ctx.print(usageTable(report, options.by, ctx.out));
    });
}

async function usageOf(
  ctx: Context,
  since: string | undefined,
  agent: string | undefined,
): Promise<UsageReport> {
  const { UsageError } = await import("../errors.js");
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx);
  if (client) {
    const { ControlError } = await import("@herdctl/core/essentials");
    const query = new URLSearchParams({ ...(since ? { since } : {}), ...(agent ? { agent } : {}) });
    try {
      return await client.call<UsageReport>("GET", `/api/usage/report?${query}`);
    } catch (error) {
      if (error instanceof ControlError) throw new UsageError(error.message);
      throw error;
    }
  }
  const { isAgentName } = await import("@herdctl/core/essentials");
  if (agent !== undefined && !isAgentName(agent))
    throw new UsageError(`--agent "${agent}" is not an agent name`);
  // Days follow the budgets' zone, as the daemon's report does; the fleet file says which.
  const timezone = (await ctx.fleet()).fleet.budget?.timezone;
  const { usageReport } = await import("@herdctl/core/internal/spend/usage-report");
  const state = await ctx.openState();
  try {
    return usageReport(state, {
      since: since === undefined ? undefined : new Date(since),
      agent,
      timezone,
      now: new Date(),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--since: ${error.message}`);
    throw error;
  } finally {
    state.close();
  }
}
