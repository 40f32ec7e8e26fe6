/**
 * Calendar days of an IANA time zone, in a form SQLite can group by. SQLite knows UTC and fixed
 * offsets only, so a range is cut where the zone's offset changes (daylight saving): within each
 * piece `date(created_at, offset)` is the local day of every job.
 */

/** A stretch of time [from, to) in which the zone keeps one UTC offset. */
export interface OffsetSpan {
  readonly from: Date;
  readonly to: Date;
  /** A SQLite date modifier, e.g. "+05:30". */
  readonly offset: string;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function cached(map: Map<string, Intl.DateTimeFormat>, zone: string, make: () => Intl.DateTimeFormat) {
  let format = map.get(zone);
  if (format === undefined) {
    format = make();
    map.set(zone, format);
  }
  return format;
}

/** The zone's offset at `at` as a SQLite modifier ("+00:00", "-04:00", "+05:45"). */
export function utcOffset(at: Date, zone: string): string {
  const format = cached(
    offsetFormats,
    zone,
    () => new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }),
  );
  const name = format.formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  // "GMT" alone is UTC; otherwise "GMT+05:30".
  return name === "GMT" ? "+00:00" : name.slice(3);
}

/** The local calendar day (YYYY-MM-DD) holding `at`. */
export function localDay(at: Date, zone: string): string {
  const format = cached(
    dayFormats,
    zone,
    () =>
      new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }),
  );
  return format.format(at);
}

/** Every local day from the one holding `from` to the one holding the last instant before `to`. */
export function daysBetween(from: Date, to: Date, zone: string): string[] {
  const first = localDay(from, zone);
  const last = localDay(new Date(Math.max(from.getTime(), to.getTime() - 1)), zone);
  const days: string[] = [];
  // Calendar arithmetic on the date alone: a day is a day whatever the zone's offset does.
  for (let t = Date.parse(`${first}T00:00:00Z`); ; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.push(day);
    if (day >= last) return days;
  }
}

/**
 * [from, to) cut into spans of one offset. Offsets are sampled daily (zones change at most a few
 * times a year, never twice in a day) and each change is found to the minute by bisection.
 */
export function offsetSpans(from: Date, to: Date, zone: string): OffsetSpan[] {
  const spans: OffsetSpan[] = [];
  let start = from.getTime();
  let offset = utcOffset(from, zone);
  for (let probe = start + DAY_MS; start < to.getTime(); probe += DAY_MS) {
    const end = Math.min(probe, to.getTime());
    const next = utcOffset(new Date(end), zone);
    if (next === offset && end < to.getTime()) continue;
    if (next === offset) {
      spans.push({ from: new Date(start), to: new Date(end), offset });
      break;
    }
    // The change lies in (end - 1 day, end]. Offsets change on a whole minute, so bisecting
    // over whole minutes finds the exact instant.
    let lo = Math.floor(Math.max(start, end - DAY_MS) / MINUTE_MS);
    let hi = Math.ceil(end / MINUTE_MS);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (utcOffset(new Date(mid * MINUTE_MS), zone) === offset) lo = mid;
      else hi = mid;
    }
    const change = hi * MINUTE_MS;
    spans.push({ from: new Date(start), to: new Date(change), offset });
    start = change;
    offset = utcOffset(new Date(change), zone);
    probe = change;
  }
  return spans;
}
