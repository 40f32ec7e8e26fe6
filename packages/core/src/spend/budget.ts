import type { StateManager } from "../state/index.js";
import { type BudgetPeriod, budgetWindow } from "./windows.js";

export { describeExceeded } from "./describe.js";

/** A `budget:` block, at fleet or agent level. */
export interface BudgetLimits {
  readonly daily_usd?: number;
  readonly monthly_usd?: number;
  /** Cut a running job off when the budget runs out (its max_budget_usd is what is left). */
  readonly hard?: boolean;
}

/** The fleet's `budget:`, which also says which calendar the windows follow. */
export interface FleetBudget extends BudgetLimits {
  /** IANA zone of the calendar days and months; the host's zone when unset. */
  readonly timezone?: string;
}

/** One budget, measured now. */
export interface BudgetStatus {
  /** "fleet" for the fleet-wide budget, else the agent's name. */
  readonly scope: string;
  readonly period: BudgetPeriod;
  readonly limitUsd: number;
  readonly spentUsd: number;
  readonly windowStart: string;
  readonly resetsAt: string;
  readonly exceeded: boolean;
  readonly hard: boolean;
}

const PERIODS: ReadonlyArray<[BudgetPeriod, "daily_usd" | "monthly_usd"]> = [
  ["daily", "daily_usd"],
  ["monthly", "monthly_usd"],
];

/**
 * Spend against budgets, computed from the cost every job (and chat turn) records. Nothing is
 * cached: a sum over an indexed range of the jobs table is cheap, and a cache would be wrong
 * after a job ends in another process (a one-off `herdctl trigger`).
 */
export class BudgetLedger {
  constructor(
    private readonly deps: {
      state: () => StateManager;
      fleet: () => FleetBudget | undefined;
      agent: (name: string) => BudgetLimits | undefined;
      now: () => Date;
    },
  ) {}

  /** The fleet's budgets, then the agent's (when given). */
  statuses(agent?: string): BudgetStatus[] {
    const fleet = this.deps.fleet();
    const at = { state: this.deps.state(), timezone: fleet?.timezone, now: this.deps.now() };
    return [
      ...measureBudgets(fleet, at),
      ...(agent === undefined ? [] : measureBudgets(this.deps.agent(agent), { ...at, agent })),
    ];
  }

  /** The budget that stops this agent's next job, if one does. */
  blocking(agent: string): BudgetStatus | undefined {
    return this.statuses(agent).find((b) => b.exceeded);
  }

  /** What a job of this agent may still spend under its hard budgets; undefined when none is hard. */
  hardRemaining(agent: string): number | undefined {
    const hard = this.statuses(agent).filter((b) => b.hard);
    if (hard.length === 0) return undefined;
    return Math.max(0, Math.min(...hard.map((b) => b.limitUsd - b.spentUsd)));
  }
}

/** One scope's budgets (the fleet's, or `agent`'s when given), measured at `now`. */
export function measureBudgets(
  limits: BudgetLimits | undefined,
  at: { state: StateManager; timezone: string | undefined; now: Date; agent?: string },
): BudgetStatus[] {
  const out: BudgetStatus[] = [];
  for (const [period, key] of PERIODS) {
    const limit = limits?.[key];
    if (limit === undefined) continue;
    const window = budgetWindow(period, at.now, at.timezone);
    const spent = at.state.jobs.spend(window.start, window.resetsAt, at.agent);
    out.push({
      scope: at.agent ?? "fleet",
      period,
      limitUsd: limit,
      spentUsd: spent,
      windowStart: window.start.toISOString(),
      resetsAt: window.resetsAt.toISOString(),
      exceeded: spent >= limit,
      hard: limits?.hard === true,
    });
  }
  return out;
}
