const ANSI = /\u001b\[[0-9;]*m/g;

function visibleWidth(s: string): number {
  return [...s.replace(ANSI, "")].length;
}

/** Aligned columns; cells may carry colour, which does not count toward the width. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ""))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visibleWidth(c))))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "-";
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  // Pick the unit from the rounded value, so 59 min 59 s reads "1h", not "60m".
  const minutes = Math.round(abs / 60);
  const hours = Math.round(abs / 3600);
  const [value, unit] =
    abs < 60
      ? [abs, "s"]
      : minutes < 60
        ? [minutes, "m"]
        : hours < 24
          ? [hours, "h"]
          : [Math.round(abs / 86400), "d"];
  if (abs < 2) return "now";
  return diff < 0 ? `${value}${unit} ago` : `in ${value}${unit}`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const WEEK_MS = 7 * 86_400_000;

/**
 * Wall-clock time in this machine's zone with its offset, e.g. "Wed 09:00 +01:00": the weekday
 * within a week of `now`, the date beyond it.
 */
export function localTime(iso: string, now = Date.now()): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  const offset = -at.getTimezoneOffset();
  const zone = `${offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const day =
    Math.abs(at.getTime() - now) < WEEK_MS - 86_400_000
      ? WEEKDAYS[at.getDay()]
      : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
  return `${day} ${pad(at.getHours())}:${pad(at.getMinutes())} ${zone}`;
}

/** "in 18h (Wed 09:00 +01:00)": how long until, and when that is. */
export function relativeAndLocal(iso: string | null | undefined, now = Date.now()): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return "-";
  return `${relativeTime(iso, now)} (${localTime(iso, now)})`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}m ${Math.round(s - m * 60)}s`;
}

/** A job's cost; an offline job ran against the stand-in, so it has none to show. */
export function jobCost(job: { costUsd: number | null; offline: boolean }): string {
  if (job.offline) return "offline, not billed";
  if (job.costUsd === null) return "-";
  return `$${job.costUsd.toFixed(4)}`;
}

/** A size for people: 0 B, 812 B, 14.2 KB, 3.1 MB, 1.4 GB (powers of 1024). */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
