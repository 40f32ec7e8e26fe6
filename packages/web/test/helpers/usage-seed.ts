import { StateManager } from "@herdctl/core/internal";

export interface SeededJob {
  agent: string;
  createdAt: string;
  status: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
}

/**
 * Finished jobs of alpha and beta over the last `days` days, written through a second
 * StateManager on the fleet's state (its clock set to each job's times), as a daemon would have
 * recorded them. Returns what it wrote, for the test to compute its own expectations.
 */
export function seedUsage(stateDir: string, days = 6, now = Date.now()): SeededJob[] {
  let clock = 0;
  const state = new StateManager(stateDir, { clock: () => new Date(clock) });
  state.open();
  const seeded: SeededJob[] = [];
  try {
    for (let i = 0; i < days * 5; i++) {
      const agent = i % 3 === 0 ? "beta" : "alpha";
      clock = now - days * 86_400_000 + i * (86_400_000 / 5) + 60_000;
      const job = state.jobs.create({ agent, triggerType: "schedule", prompt: "usage seed", runtime: "cli" });
      state.jobs.start(job.id);
      const durationMs = [3_000, 20_000, 95_000, 400_000][i % 4]!;
      clock += durationMs;
      const status = i % 7 === 3 ? "failed" : i % 11 === 5 ? "timed_out" : "completed";
      const costUsd = Math.round((0.01 + (i % 5) * 0.037) * 10_000) / 10_000;
      const inputTokens = 1_000 + i * 37;
      const outputTokens = 200 + i * 11;
      const finished = state.jobs.finish(job.id, {
        status: status as "completed",
        exitReason: status === "completed" ? "success" : "error",
        costUsd,
        inputTokens,
        outputTokens,
      });
      seeded.push({
        agent,
        createdAt: finished.createdAt,
        status,
        costUsd,
        inputTokens,
        outputTokens,
        durationMs: finished.durationMs!,
      });
    }
  } finally {
    state.close();
  }
  return seeded;
}
