/** Levenshtein distance; the vocabularies it serves are small, so the quadratic cost is irrelevant. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Candidates ordered by closeness to `name` (case-insensitive; ties alphabetical), for
 * "did you mean" hints. `within` drops candidates further away than that many edits.
 */
export function nearestNames(
  name: string,
  candidates: readonly string[],
  options: { max?: number; within?: number } = {},
): string[] {
  const { max = 3, within = Number.POSITIVE_INFINITY } = options;
  return candidates
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()) }))
    .filter((x) => x.d <= within)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}
