/**
 * Quiets a message repeated by a retry loop: while the database is away the workers' loops fail
 * every second each, and a log line per failure would bury everything else. The first of a kind
 * is told; the same text again within `quietMs` is only counted, and the count rides along on the
 * next one told (a new text, or the same after the quiet period).
 */
export class RepeatFilter {
  private readonly last = new Map<string, { text: string; at: number; quieted: number }>();

  constructor(
    private readonly quietMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The line to log for `text` under `key` (one per loop), or undefined to stay quiet. */
  pass(key: string, text: string): string | undefined {
    const at = this.now();
    const seen = this.last.get(key);
    if (seen && seen.text === text && at - seen.at < this.quietMs) {
      seen.quieted++;
      return undefined;
    }
    this.last.set(key, { text, at, quieted: 0 });
    if (!seen || seen.quieted === 0) return text;
    return `${text} (${seen.quieted} more like "${seen.text}" not shown)`;
  }
}
