import type { JobOutcome } from "../state/index.js";

/**
 * Offline, claude talks to herdctl's stand-in: its token counts are real counts of the stand-in's
 * replies, but the dollar figure claude computes from them was never billed. Recording it would
 * show made-up costs in every view and count them in any spend total, so it is dropped.
 */
export const OFFLINE_NOTICE =
  "offline: claude talks to herdctl's stand-in, not Anthropic; nothing is billed and no cost is recorded";

export function withoutCost<T extends Partial<JobOutcome>>(outcome: T): T {
  const usage = outcome.usage
    ? Object.fromEntries(
        Object.entries(outcome.usage).map(([model, counters]) => [
          model,
          Object.fromEntries(Object.entries(counters).filter(([name]) => name !== "costUSD")),
        ]),
      )
    : outcome.usage;
  return { ...outcome, costUsd: null, usage };
}
