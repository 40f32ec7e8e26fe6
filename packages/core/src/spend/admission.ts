import type { ResolvedAgent } from "../config/index.js";
import { overBudget } from "../fleet-manager/errors.js";
import type { BudgetLedger } from "./budget.js";

/**
 * The agent a new job may run as, budget-wise: throws FleetError (FLEET_OVER_BUDGET) while a budget
 * of the agent or the fleet is spent, unless forced; under a hard budget the job gets what is left
 * as its max_budget_usd, so claude itself stops it there. One place for the daemon and for a
 * one-off `herdctl trigger`.
 */
export function admitWithinBudget(
  agent: ResolvedAgent,
  ledger: BudgetLedger,
  options: { force?: boolean; timezone?: string },
): ResolvedAgent {
  if (options.force) return agent;
  const spent = ledger.blocking(agent.name);
  if (spent) throw overBudget(spent, options.timezone);
  const left = ledger.hardRemaining(agent.name);
  if (left === undefined) return agent;
  const cap = agent.max_budget_usd;
  // A hard budget with less than a cent left is spent: blocking() said no above for 0.
  const allowed = Math.max(0.01, cap === undefined ? left : Math.min(cap, left));
  return { ...agent, max_budget_usd: allowed };
}
