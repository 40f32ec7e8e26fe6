export function timeAgo(iso: string | null | undefined): string {
  if (!iso) return "—";
  const ms = Date.now() - new Date(iso).getTime();
  const future = ms < 0;
  const s = Math.round(Math.abs(ms) / 1000);
  const text =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.round(s / 60)}m`
        : s < 86_400
          ? `${Math.round(s / 3600)}h`
          : `${Math.round(s / 86_400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
}

/** A job's cost; an offline job ran against the stand-in, so it has none to show. */
export function cost(job: { costUsd: number | null; offline: boolean }): string {
  if (job.offline) return "offline, not billed";
  return job.costUsd === null ? "—" : `$${job.costUsd.toFixed(4)}`;
}

/** One formatter for every count: `toLocaleString` builds a new one per call (~0.1 ms each). */
const COUNT = new Intl.NumberFormat("en");

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : COUNT.format(n);
}

export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 14)}…` : id;
}
