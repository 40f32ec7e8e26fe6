import type { FleetStatus, LoadedFleet } from "@herdctl/core";
import { buildAgentStatus } from "@herdctl/core/internal/fleet-manager/status";
import { databaseBytesNow } from "@herdctl/core/internal/retention/size";
import { measureBudgets } from "@herdctl/core/internal/spend/budget";
import type { CommandContext } from "./context.js";
import { readStatusFacts, type StatusFacts } from "./status-facts.js";

/**
 * What `status` can say with no daemon running: the config (from the facts the last parse kept,
 * while they are current; see status-facts.ts), and history from the state store.
 */
export async function offlineStatus(ctx: CommandContext): Promise<FleetStatus> {
  const kept = readStatusFacts(ctx.stateDir(), ctx.configPath());
  if (kept) ctx.warnConfigIssues(kept.warnings);
  const parsedAt = Date.now();
  const parsed = kept ? undefined : await ctx.fleet();
  const facts: Pick<StatusFacts, "configPath" | "fleet" | "agents"> = kept ?? (parsed as LoadedFleet);
  const state = ctx.openState();
  try {
    // Kept for the next status; the state directory exists now that the store is open.
    if (parsed) (await import("./status-facts-write.js")).writeStatusFacts(state.stateDir, parsed, parsedAt);
    const clock = { budgetTimezone: facts.fleet.budget?.timezone, now: new Date() };
    const agents = facts.agents.map((agent) => buildAgentStatus(agent, state, undefined, clock));
    return {
      fleet: facts.fleet.name,
      description: facts.fleet.description ?? null,
      state: "stopped",
      pid: 0,
      startedAt: null,
      uptimeMs: 0,
      offline: false,
      configPath: facts.configPath,
      stateDir: state.stateDir,
      counts: { agents: agents.length, running: 0, queued: 0 },
      lastReloadError: null,
      stateSize: { databaseBytes: databaseBytesNow(state.dbPath), jobs: state.retention.jobCount() },
      budgets: measureBudgets(facts.fleet.budget, { state, timezone: clock.budgetTimezone, now: clock.now }),
      agents,
    };
  } finally {
    state.close();
  }
}
