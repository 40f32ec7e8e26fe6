import type { FleetStatus } from "@herdctl/core";
import { buildAgentStatus } from "@herdctl/core/internal/fleet-manager/status";
import { databaseBytesNow } from "@herdctl/core/internal/retention/size";
import { measureBudgets } from "@herdctl/core/internal/spend/budget";
import type { CommandContext } from "./context.js";

/** What `status` can say with no daemon running: the config, and history from the state store. */
export async function offlineStatus(ctx: CommandContext): Promise<FleetStatus> {
  const fleet = await ctx.fleet();
  const state = ctx.openState();
  try {
    const clock = { budgetTimezone: fleet.fleet.budget?.timezone, now: new Date() };
    const agents = fleet.agents.map((agent) => buildAgentStatus(agent, state, undefined, clock));
    return {
      fleet: fleet.fleet.name,
      description: fleet.fleet.description ?? null,
      state: "stopped",
      pid: 0,
      startedAt: null,
      uptimeMs: 0,
      offline: false,
      configPath: fleet.configPath,
      stateDir: state.stateDir,
      counts: { agents: agents.length, running: 0, queued: 0 },
      lastReloadError: null,
      stateSize: { databaseBytes: databaseBytesNow(state.dbPath), jobs: state.retention.jobCount() },
      budgets: measureBudgets(fleet.fleet.budget, { state, timezone: clock.budgetTimezone, now: clock.now }),
      // Bots connect only while the daemon runs.
      connectors: [],
      agents,
    };
  } finally {
    state.close();
  }
}
