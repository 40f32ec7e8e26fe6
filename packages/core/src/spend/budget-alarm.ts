import type { ResolvedAgent } from "../config/index.js";
import type { FleetEventBus } from "../fleet-manager/events.js";
import type { HookBudget } from "../hooks/index.js";
import type { JobRecord, StateManager } from "../state/index.js";
import type { BudgetLedger, BudgetStatus } from "./budget.js";

const EVENT = "budget:exceeded";

/**
 * Says once per window that a budget was reached: when a job's cost takes the fleet or its agent to
 * a limit, a `budget:exceeded` event is stored (which is what makes it once, across restarts),
 * emitted, and the agent's budget_exceeded hooks run with that job.
 */
export class BudgetAlarm {
  constructor(
    private readonly deps: {
      state: () => StateManager;
      ledger: BudgetLedger;
      events: FleetEventBus;
      agent: (name: string) => ResolvedAgent | undefined;
      runHooks: (job: JobRecord, agent: ResolvedAgent, budget: HookBudget) => Promise<unknown>;
      log: (line: string) => void;
    },
  ) {}

  jobEnded(job: JobRecord): void {
    if (!job.costUsd) return;
    const agent = this.deps.agent(job.agent);
    if (!agent) return;
    for (const budget of this.deps.ledger.statuses(job.agent)) {
      if (!budget.exceeded || this.alreadySaid(budget)) continue;
      this.deps.state().events.append({
        type: EVENT,
        agent: budget.scope === "fleet" ? null : budget.scope,
        jobId: job.id,
        data: { key: windowKey(budget), ...budget },
      });
      this.deps.log(
        `budget reached: ${budget.scope} ${budget.period} $${budget.spentUsd.toFixed(2)} of $${budget.limitUsd.toFixed(2)} (job ${job.id})`,
      );
      this.deps.events.emit(EVENT, { budget, jobId: job.id });
      void this.deps
        .runHooks(job, agent, {
          scope: budget.scope,
          period: budget.period,
          limit_usd: budget.limitUsd,
          spent_usd: budget.spentUsd,
          resets_at: budget.resetsAt,
        })
        .catch((error) =>
          this.deps.log(`budget_exceeded hooks of ${agent.name}: ${(error as Error).message}`),
        );
    }
  }

  private alreadySaid(budget: BudgetStatus): boolean {
    const key = windowKey(budget);
    return this.deps
      .state()
      .events.list({ type: EVENT, limit: 500 })
      .some((e) => (e.data as { key?: string } | null)?.key === key);
  }
}

/** One window of one budget: the same limit reached twice in a day is said once. */
function windowKey(budget: BudgetStatus): string {
  return `${budget.scope}\0${budget.period}\0${budget.windowStart}`;
}
