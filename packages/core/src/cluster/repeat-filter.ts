/**
 * Quiets a message repeated by a retry loop: while the database is away the workers' loops fail
 * every second each, and a log line per failure would bury everything else. Each text is told once
 * per `quietMs` for its loop (`key`); repeats meanwhile are only counted, and the counts ride along
 * on the next line told for that loop. Texts are remembered one by one, not only the last: an
 * outage's errors alternate ("connection refused", "the database system is starting up", …), and
 * each change of text would otherwise be told again.
 */
export class RepeatFilter {
  private readonly loops = new Map<string, Map<string, { at: number; quieted: number }>>();

  constructor(
    private readonly quietMs = 60_000,
    private readonly now: () => number = Date.now,
    /** Texts remembered per loop; the oldest told goes first (a text that carries a changing part). */
    private readonly textsPerLoop = 16,
  ) {}

  /** The line to log for `text` under `key` (one per loop), or undefined to stay quiet. */
  pass(key: string, text: string): string | undefined {
    const at = this.now();
    let texts = this.loops.get(key);
    if (!texts) {
      texts = new Map();
      this.loops.set(key, texts);
    }
    const seen = texts.get(text);
    if (seen && at - seen.at < this.quietMs) {
      seen.quieted++;
      return undefined;
    }
    const kept: string[] = [];
    for (const [other, entry] of texts) {
      if (entry.quieted === 0) continue;
      kept.push(`${entry.quieted} more like "${other}"`);
      entry.quieted = 0;
    }
    // Re-inserted, so the map's order is the order told and the first entry is the oldest.
    texts.delete(text);
    texts.set(text, { at, quieted: 0 });
    if (texts.size > this.textsPerLoop) texts.delete(texts.keys().next().value as string);
    return kept.length === 0 ? text : `${text} (${kept.join(", ")} not shown)`;
  }
}
