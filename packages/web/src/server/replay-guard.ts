/**
 * Remembers accepted webhook deliveries until they expire, so the same signed request cannot
 * start a second job. Only requests that passed their signature check are remembered, so an
 * outsider cannot fill it; `capacity` still bounds it, dropping the entries that expire first.
 * Memory only: a restart forgets, which the timestamp window covers for herdctl's scheme.
 */
export class ReplayGuard {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly capacity = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `key` was accepted before and has not expired yet. */
  seen(key: string): boolean {
    const expires = this.expiries.get(key);
    return expires !== undefined && expires > this.now();
  }

  remember(key: string, expiresAt: number): void {
    const now = this.now();
    // Entries arrive roughly in expiry order, so trimming the front is cheap and usually enough.
    for (const [k, at] of this.expiries) {
      if (at > now) break;
      this.expiries.delete(k);
    }
    if (this.expiries.size >= this.capacity) {
      for (const [k, at] of this.expiries) if (at <= now) this.expiries.delete(k);
      let soonest: [string, number] | undefined;
      for (const entry of this.expiries) if (!soonest || entry[1] < soonest[1]) soonest = entry;
      if (soonest && this.expiries.size >= this.capacity) this.expiries.delete(soonest[0]);
    }
    this.expiries.delete(key);
    this.expiries.set(key, expiresAt);
  }
}
