import { useEffect, useMemo, useState } from "react";
import { api } from "../api.js";
import { ErrorNote } from "../components/common.js";
import { type Series, UsageChart, type UsageChartProps } from "../components/usage-chart.js";
import { count } from "../format.js";
import { navigate, useLocation } from "../router.js";
import type { AgentStatus, UsageReport } from "../types.js";
import {
  answeredUsageReport,
  DEFAULT_USAGE_RANGE,
  loadUsageReport,
  USAGE_RANGES,
  usageQuery,
  usedEarlyUsageReport,
} from "../usage-query.js";
import { useData } from "../use-data.js";

/** Distinct on a white panel and for the common colour blindnesses (Okabe–Ito, then darker kin). */
const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#F0E442",
  "#000000",
  "#004D80",
  "#996A00",
  "#006B4F",
  "#8C4F73",
];
const OUTCOME_COLOURS = {
  completed: "#1f8a4c",
  failed: "#c0392b",
  timed_out: "#b7791f",
  interrupted: "#7c3aed",
  cancelled: "#9ca3af",
};

/**
 * Agents a per-agent chart draws one by one, most spent first; the rest are drawn as one "others"
 * (fifty stacked datasets took seconds to draw and no one can tell fifty colours apart). The
 * charts' tables keep every agent.
 */
const TOP_AGENTS = 9;
const OTHERS_COLOUR = "#9ca3af";

/** The top agents' series and one summing the rest; undefined when there are few enough. */
function topAndOthers(series: readonly Series[]): Series[] | undefined {
  if (series.length <= TOP_AGENTS + 1) return undefined;
  const rest = series.slice(TOP_AGENTS);
  const values = series[0]!.values.map((_, i) => rest.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  return [
    ...series.slice(0, TOP_AGENTS),
    { label: `${rest.length} other agents`, values, color: OTHERS_COLOUR },
  ];
}

const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);
const whole = (n: number) => count(Math.round(n));

function durationLabels(edges: readonly number[]): string[] {
  const short = (ms: number) =>
    ms < 60_000 ? `${ms / 1000} s` : ms < 3_600_000 ? `${ms / 60_000} min` : `${ms / 3_600_000} h`;
  return [
    `< ${short(edges[0]!)}`,
    ...edges.slice(1).map((edge, i) => `${short(edges[i]!)}–${short(edge)}`),
    `≥ ${short(edges.at(-1)!)}`,
  ];
}

function bucketName(seconds: number): string {
  if (seconds % 86_400 === 0)
    return seconds === 86_400 ? "day" : seconds === 604_800 ? "week" : `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? "hour" : `${seconds / 3_600} hours`;
  return seconds === 60 ? "minute" : `${seconds / 60} minutes`;
}

/**
 * Bucket starts in the browser's time zone, as "2026-12-02" or "12-02 14:00". One formatter each:
 * `toLocaleString` builds a new one per call, which cost ~60 ms for a month's 120 buckets.
 */
const DAY_LABEL = new Intl.DateTimeFormat("sv-SE");
const TIME_LABEL = new Intl.DateTimeFormat("sv-SE", {
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

function bucketLabel(iso: string, bucketSeconds: number): string {
  return (bucketSeconds >= 86_400 ? DAY_LABEL : TIME_LABEL).format(new Date(iso));
}

/** The chart props of a report, made once per report so a chart is drawn once per answer. */
function charts(report: UsageReport): UsageChartProps[] {
  const colour = new Map(report.agents.map((a, i) => [a.agent, PALETTE[i % PALETTE.length]!]));
  const perAgent = (values: (agent: string) => (number | null)[]): Series[] =>
    report.agents.map((a) => ({ label: a.agent, values: values(a.agent), color: colour.get(a.agent)! }));
  const buckets = report.timeline.buckets;
  const perJob = (pick: (b: (typeof buckets)[number]) => number) =>
    buckets.map((b) => (b.jobs === 0 ? null : pick(b) / b.jobs));
  const outcomes = Object.entries(OUTCOME_COLOURS) as [keyof typeof OUTCOME_COLOURS, string][];
  const spend = perAgent((agent) => report.days.map((d) => d.costByAgent[agent] ?? 0));
  const durations = perAgent((agent) => [...report.agents.find((a) => a.agent === agent)!.durations]);
  return [
    {
      id: "spend",
      title: `Spend per day per agent (days in ${report.timezone})`,
      kind: "bar",
      stacked: true,
      labels: report.days.map((d) => d.day),
      series: spend,
      plotted: topAndOthers(spend),
      format: usd,
    },
    {
      id: "per-job",
      title: `Tokens and cost per job (average per ${bucketName(report.timeline.bucketSeconds)})`,
      kind: "line",
      labels: buckets.map((b) => bucketLabel(b.start, report.timeline.bucketSeconds)),
      series: [
        { label: "input tokens", values: perJob((b) => b.inputTokens), color: PALETTE[0]! },
        { label: "output tokens", values: perJob((b) => b.outputTokens), color: PALETTE[1]! },
        { label: "cache tokens", values: perJob((b) => b.cacheTokens), color: PALETTE[2]! },
        { label: "cost", values: perJob((b) => b.costUsd), color: PALETTE[5]!, axis: "right" },
      ],
      format: (v, s) => (s.axis === "right" ? usd(v) : whole(v)),
      rightAxisFormat: usd,
    },
    {
      id: "durations",
      title: "Job durations per agent (finished jobs)",
      kind: "bar",
      stacked: true,
      labels: durationLabels(report.durationEdgesMs),
      series: durations,
      plotted: topAndOthers(durations),
      format: whole,
    },
    {
      id: "outcomes",
      title: "Outcomes per agent",
      kind: "bar",
      stacked: true,
      horizontal: true,
      labels: report.agents.map((a) => a.agent),
      series: outcomes.map(([outcome, color]) => ({
        label: outcome.replace("_", " "),
        values: report.agents.map((a) => a.outcomes[outcome]),
        color,
      })),
      format: whole,
      footer: (i) => {
        const rate = report.agents[i]?.successRate;
        return rate === null || rate === undefined ? undefined : `success rate ${(rate * 100).toFixed(1)}%`;
      },
    },
  ];
}

/** Where spend and work went; filters live in the URL. Loaded on demand with chart.js. */
export default function UsagePage() {
  const { query } = useLocation();
  const { range, agent, key } = usageQuery(query);
  // Asked for while the dashboard was idle or the pointer on "Usage": drawn in the first render.
  const [answered] = useState(() => answeredUsageReport(query));
  useEffect(() => answered && usedEarlyUsageReport(answered), [answered]);
  const report = useData(() => loadUsageReport(query), key, answered);
  const agents = useData(() => api.get<{ agents: AgentStatus[] }>("/api/agents"), "agents");
  const props = useMemo(() => (report.data ? charts(report.data) : []), [report.data]);

  const go = (next: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ range, agent, ...next }))
      if (v && !(k === "range" && v === DEFAULT_USAGE_RANGE)) q.set(k, v);
    navigate(`/usage${q.size ? `?${q}` : ""}`);
  };
  const names = [
    ...new Set([...(agents.data?.agents.map((a) => a.name) ?? []), ...(agent ? [agent] : [])]),
  ].sort();
  const totals = report.data?.totals;
  const ended = report.data?.agents.reduce(
    (n, a) => ({
      ok: n.ok + a.outcomes.completed,
      all: n.all + a.outcomes.completed + a.outcomes.failed + a.outcomes.timed_out + a.outcomes.interrupted,
    }),
    { ok: 0, all: 0 },
  );

  return (
    <section data-testid="usage-page">
      <div className="page-head">
        <h1>Usage</h1>
      </div>
      <div className="filters">
        <select
          value={range}
          aria-label="Range"
          data-testid="usage-range"
          onChange={(e) => go({ range: e.target.value })}
        >
          {Object.entries(USAGE_RANGES).map(([value, r]) => (
            <option key={value} value={value}>
              {r.label}
            </option>
          ))}
        </select>
        <select
          value={agent}
          aria-label="Agent"
          data-testid="usage-agent"
          onChange={(e) => go({ agent: e.target.value })}
        >
          <option value="">every agent</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={report.error} />
      {totals && (
        <div className="usage-totals" data-testid="usage-totals">
          <div>
            <span className="muted small">spent</span>
            <b>{usd(totals.costUsd)}</b>
          </div>
          <div>
            <span className="muted small">jobs</span>
            <b>{count(totals.jobs)}</b>
          </div>
          <div>
            <span className="muted small">tokens in / out</span>
            <b>
              {count(totals.inputTokens)} / {count(totals.outputTokens)}
            </b>
          </div>
          <div>
            <span className="muted small">success rate</span>
            <b>{ended && ended.all > 0 ? `${((ended.ok / ended.all) * 100).toFixed(1)}%` : "—"}</b>
          </div>
        </div>
      )}
      {report.data && report.data.totals.jobs === 0 && <p className="muted">No jobs in this range.</p>}
      {report.data && report.data.totals.jobs > 0 && (
        <div className="usage-grid">
          {props.map((p) => (
            <UsageChart key={p.id} spec={p} />
          ))}
        </div>
      )}
    </section>
  );
}
