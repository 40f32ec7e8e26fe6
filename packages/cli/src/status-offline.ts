import type { FleetStatus, LoadedFleet } from "@herdctl/core";
import { buildAgentStatus } from "@herdctl/core/internal/fleet-manager/status";
import { stateBytesNow } from "@herdctl/core/internal/retention/size";
import { measureBudgets } from "@herdctl/core/internal/spend/budget";
import { credentialOf } from "@herdctl/core/internal/usage-limits/credential";
import { agentUsageLimit, pauseStatuses } from "@herdctl/core/internal/usage-limits/status";
import type { CommandContext } from "./context.js";
import { readStatusFacts, type StatusFacts } from "./status-facts.js";

/**
 * What `status` can say with no daemon running: the config (from the facts the last parse kept,
 * while they are current; see status-facts.ts), and history from the state store.
 */
export async function offlineStatus(ctx: CommandContext): Promise<FleetStatus> {
  const state = await ctx.openState();
  try {
    const pauses = state.usagePauses.list();
    // A usage-limit pause is named by an agent's credential, which the kept facts leave out (it
    // comes from secrets): with a pause stored, the fleet is parsed to name each agent's.
    const kept = pauses.length === 0 ? readStatusFacts(ctx.stateDir(), ctx.configPath()) : undefined;
    if (kept) ctx.warnConfigIssues(kept.warnings);
    const parsedAt = Date.now();
    const parsed = kept ? undefined : await ctx.fleet();
    const facts: Pick<StatusFacts, "configPath" | "fleet" | "agents"> = kept ?? (parsed as LoadedFleet);
    // Kept for the next status; the state directory exists now that the store is open.
    if (parsed) (await import("./status-facts-write.js")).writeStatusFacts(state.stateDir, parsed, parsedAt);
    const clock = { budgetTimezone: facts.fleet.budget?.timezone, now: new Date() };
    // The same environment layers the daemon names an agent's credential by.
    const credential = (name: string) =>
      credentialOf([
        () => parsed?.dotEnv,
        () => parsed?.agents.find((a) => a.name === name)?.env,
        () => process.env,
      ]).id;
    const agents = facts.agents.map((agent) => {
      const pause = parsed && pauses.find((p) => p.credential === credential(agent.name));
      const usageLimit = pause ? agentUsageLimit(pause, clock.budgetTimezone, clock.now) : undefined;
      return buildAgentStatus(
        agent,
        state,
        usageLimit ? { running: [], queued: [], snapshots: [], usageLimit } : undefined,
        clock,
      );
    });
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
      stateSize: { databaseBytes: stateBytesNow(state), jobs: state.retention.jobCount() },
      budgets: measureBudgets(facts.fleet.budget, { state, timezone: clock.budgetTimezone, now: clock.now }),
      // Bots connect only while the daemon runs.
      connectors: [],
      usageLimits: pauseStatuses(
        pauses,
        facts.agents.map((a) => a.name),
        credential,
      ),
      ...(state.clusterJobs ? { workers: state.clusterJobs.workers() } : {}),
      agents,
    };
  } finally {
    state.close();
  }
}
