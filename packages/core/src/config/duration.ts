/** Thrown by parseDuration; the message names the bad text and shows a form that would work. */
export class DurationError extends Error {
  readonly code = "DURATION_INVALID" as const;

  constructor(
    readonly text: string,
    readonly suggestion: string,
  ) {
    super(`"${text}" is not a duration; use ${suggestion}`);
    this.name = "DurationError";
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

// Long unit names people write by habit, mapped to the short unit we accept, so the error can
// offer the exact replacement ("15 minutes" → 15m) instead of a grammar lesson.
const UNIT_WORDS: Record<string, string> = {
  millisecond: "ms",
  milliseconds: "ms",
  msec: "ms",
  msecs: "ms",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  day: "d",
  days: "d",
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses "500ms", "30s", "15m", "2h", "1d" or a sum such as "1h30m" into milliseconds.
 * Bare numbers are refused: whether 600 means seconds or milliseconds is exactly the ambiguity a
 * unit removes.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    PART.lastIndex = index;
    const match = PART.exec(trimmed);
    if (!match) throw new DurationError(text, suggest(trimmed));
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    index = PART.lastIndex;
  }
  if (trimmed.length === 0) throw new DurationError(text, "a number followed by ms, s, m, h or d, e.g. 15m");
  return Math.round(total);
}

/** Milliseconds in the largest unit that holds them exactly: 600000 → "10m", 90000 → "90s". */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"]) {
    const size = UNIT_MS[unit]!;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function suggest(text: string): string {
  const fallback = "a number followed by ms, s, m, h or d, e.g. 15m";
  const bare = /^(\d+(?:\.\d+)?)$/.exec(text);
  if (bare) return `${bare[1]}s for seconds or ${bare[1]}m for minutes`;
  const worded = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]+)$/.exec(text);
  const unit = worded ? UNIT_WORDS[worded[2]!.toLowerCase()] : undefined;
  if (worded && unit) return `${worded[1]}${unit}`;
  const spaced = /^(\d+(?:\.\d+)?)\s+(ms|s|m|h|d)$/.exec(text);
  if (spaced) return `${spaced[1]}${spaced[2]}`;
  return fallback;
}
