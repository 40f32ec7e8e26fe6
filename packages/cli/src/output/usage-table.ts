import type { UsageReport } from "@herdctl/core/internal";
import { table } from "./format.js";
import type { Style } from "./style.js";

const usd = (n: number) => `$${n.toFixed(n >= 100 ? 0 : 2)}`;
const whole = (n: number) => Math.round(n).toLocaleString("en");

function span(ms: number): string {
  return ms < 60_000 ? `${ms / 1000} s` : ms < 3_600_000 ? `${ms / 60_000} min` : `${ms / 3_600_000} h`;
}

/** The histogram bucket holding the middle finished job, e.g. "1–2 min"; "-" with none. */
export function medianBucket(durations: readonly number[], edgesMs: readonly number[]): string {
  const total = durations.reduce((n, c) => n + c, 0);
  if (total === 0) return "-";
  let seen = 0;
  let i = 0;
  for (; i < durations.length - 1; i++) {
    seen += durations[i]!;
    if (seen >= total / 2) break;
  }
  if (i === 0) return `< ${span(edgesMs[0]!)}`;
  if (i >= edgesMs.length) return `≥ ${span(edgesMs.at(-1)!)}`;
  return `${span(edgesMs[i - 1]!)}–${span(edgesMs[i]!)}`;
}

const rate = (r: number | null) => (r === null ? "-" : `${(r * 100).toFixed(1)}%`);

/** `herdctl usage` as a table: one row per agent (with outcomes) or per day, then the totals. */
export function usageTable(report: UsageReport, by: "agent" | "day", style: Style): string {
  const zone = by === "day" ? ` (days in ${report.timezone})` : "";
  const head = style.dim(`jobs created ${report.since} → ${report.until}${zone}`);
  if (report.totals.jobs === 0) return `${head}\nno jobs in this range`;
  const t = report.totals;
  if (by === "day") {
    const rows = report.days.map((d) => {
      const top = Object.entries(d.costByAgent).sort((a, b) => b[1] - a[1])[0];
      return [
        d.day,
        whole(d.jobs),
        usd(d.costUsd),
        whole(d.inputTokens),
        whole(d.outputTokens),
        top ? top[0] : "-",
      ];
    });
    rows.push(
      ["total", whole(t.jobs), usd(t.costUsd), whole(t.inputTokens), whole(t.outputTokens), ""].map(
        style.bold,
      ),
    );
    return `${head}\n${table(["DAY", "JOBS", "COST", "TOKENS IN", "TOKENS OUT", "TOP SPENDER"], rows)}`;
  }
  const rows = report.agents.map((a) => [
    a.agent,
    whole(a.jobs),
    whole(a.outcomes.completed),
    whole(a.outcomes.failed + a.outcomes.timed_out + a.outcomes.interrupted),
    rate(a.successRate),
    usd(a.costUsd),
    whole(a.inputTokens),
    whole(a.outputTokens),
    medianBucket(a.durations, report.durationEdgesMs),
  ]);
  const ok = report.agents.reduce((n, a) => n + a.outcomes.completed, 0);
  const bad = report.agents.reduce(
    (n, a) => n + a.outcomes.failed + a.outcomes.timed_out + a.outcomes.interrupted,
    0,
  );
  rows.push(
    [
      "total",
      whole(t.jobs),
      whole(ok),
      whole(bad),
      rate(ok + bad === 0 ? null : ok / (ok + bad)),
      usd(t.costUsd),
      whole(t.inputTokens),
      whole(t.outputTokens),
      "",
    ].map(style.bold),
  );
  return `${head}\n${table(
    ["AGENT", "JOBS", "OK", "FAILED", "SUCCESS", "COST", "TOKENS IN", "TOKENS OUT", "MEDIAN DURATION"],
    rows,
  )}`;
}
