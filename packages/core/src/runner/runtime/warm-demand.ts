/** A person (or a webhook) asked for this agent recently: its next trigger is likely to follow soon. */
const DEMAND_TRIGGERS = new Set(["manual", "web", "webhook"]);

/**
 * Which agents are worth keeping something warm for (a claude, a container): those triggered by
 * hand, from the dashboard or by a webhook within `idleMs`. Scheduled fires and wakes never count.
 */
export class WarmDemand {
  private readonly askedAt = new Map<string, number>();

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number,
  ) {}

  triggered(agent: string, triggerType: string): void {
    if (DEMAND_TRIGGERS.has(triggerType)) this.askedAt.set(agent, this.now());
  }

  recent(agent: string): boolean {
    const at = this.askedAt.get(agent);
    return at !== undefined && this.now() - at <= this.idleMs;
  }
}

/**
 * Frees one place in a full pool (agent → warm thing, in the order they were warmed): the
 * longest-waiting one goes, since the most recently finished agent is the likelier next trigger.
 */
export function makeRoom(
  pool: ReadonlyMap<string, unknown>,
  max: number,
  discard: (agent: string) => void,
): void {
  if (pool.size < max) return;
  const oldest = pool.keys().next().value;
  if (oldest !== undefined) discard(oldest);
}
