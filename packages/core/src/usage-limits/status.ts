import type { AgentUsageLimit } from "../fleet-manager/status.js";
import type { UsagePause } from "../state/index.js";
import { describePause } from "./describe.js";

/** A pause as `status` and the API show it. */
export interface UsageLimitStatus {
  readonly credential: string;
  readonly label: string;
  readonly pausedAt: string;
  readonly until: string;
  /** "paused" until the reset; "probing" while the one job let through after it runs. */
  readonly state: "paused" | "probing";
  readonly probeJobId: string | null;
  readonly source: string;
  readonly message: string;
  readonly agents: string[];
}

/** The stored pauses with the agents each holds; `credentialOf` names an agent's credential. */
export function pauseStatuses(
  pauses: readonly UsagePause[],
  agents: readonly string[],
  credentialOf: (agent: string) => string,
): UsageLimitStatus[] {
  return pauses.map((p) => ({
    credential: p.credential,
    label: p.label,
    pausedAt: p.pausedAt,
    until: p.until,
    state: p.probeJobId ? "probing" : "paused",
    probeJobId: p.probeJobId,
    source: p.source,
    message: p.message,
    agents: agents.filter((a) => credentialOf(a) === p.credential),
  }));
}

/** An agent's side of a pause, with the line `status` prints. */
export function agentUsageLimit(pause: UsagePause, timezone: string | undefined, now: Date): AgentUsageLimit {
  return {
    until: pause.until,
    state: pause.probeJobId ? "probing" : "paused",
    credential: pause.label,
    text: describePause(pause, timezone, now),
  };
}
