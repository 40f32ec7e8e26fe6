import type { BudgetStatus } from "./budget.js";

// Apart from budget.ts, whose budget windows load croner: a refused trigger's error (fleet-manager/
// errors.ts) says this, and every CLI command loads that error's module to name exit codes.

const usd = (n: number) => `$${n.toFixed(2)}`;

/** How a budget that stops a job is said, wherever it is said. */
export function describeExceeded(budget: BudgetStatus, timezone: string | undefined): string {
  const who = budget.scope === "fleet" ? "the fleet has" : `agent ${budget.scope} has`;
  const resets = new Date(budget.resetsAt).toLocaleString("sv-SE", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
  const zone = timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  return `${who} spent ${usd(budget.spentUsd)} of its ${budget.period} budget of ${usd(budget.limitUsd)} (resets ${resets} ${zone})`;
}
