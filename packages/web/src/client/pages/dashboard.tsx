import { useEffect, useMemo, useState } from "react";
import { api } from "../api.js";
import { ErrorNote, Link, StatusBadge } from "../components/common.js";
import { ConnectorsPanel } from "../components/connectors.js";
import { timeAgo } from "../format.js";
import { useLiveRefresh } from "../live.js";
import type { AgentStatus, FleetInfo } from "../types.js";
import { useData } from "../use-data.js";

function nextRun(agent: AgentStatus): string | null {
  const times = agent.schedules.filter((s) => s.enabled && s.nextRunAt).map((s) => s.nextRunAt!);
  return times.sort()[0] ?? null;
}

export function Dashboard() {
  const fleet = useData(() => api.get<FleetInfo>("/api/fleet"), "");
  const agents = useData(() => api.get<{ agents: AgentStatus[] }>("/api/agents"), "");
  const [filter, setFilter] = useState("");
  useLiveRefresh(() => {
    fleet.reload();
    agents.reload();
  });
  // A bot's connection changes without a fleet event: look again while there are bots.
  const bots = (fleet.data?.connectors?.length ?? 0) > 0;
  const reloadFleet = fleet.reload;
  useEffect(() => {
    if (!bots) return;
    const timer = setInterval(reloadFleet, 10_000);
    return () => clearInterval(timer);
  }, [bots, reloadFleet]);
  const shown = useMemo(() => {
    const list = agents.data?.agents ?? [];
    const f = filter.trim().toLowerCase();
    return f ? list.filter((a) => a.name.toLowerCase().includes(f)) : list;
  }, [agents.data, filter]);

  return (
    <section>
      <div className="page-head">
        <h1>{fleet.data?.fleet ?? "Fleet"}</h1>
        {fleet.data && (
          <div className="stats" data-testid="fleet-stats">
            <span>
              <b>{fleet.data.counts.agents}</b> agents
            </span>
            <span>
              <b>{fleet.data.counts.running}</b> running
            </span>
            <span>
              <b>{fleet.data.counts.queued}</b> queued
            </span>
            <span className="muted">{fleet.data.state}</span>
            {fleet.data.offline && <span className="badge badge-offline">offline mode</span>}
          </div>
        )}
      </div>
      <ErrorNote error={agents.error ?? fleet.error} />
      <ConnectorsPanel connectors={fleet.data?.connectors ?? []} />
      <input
        className="filter"
        type="search"
        placeholder="Filter agents…"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        aria-label="Filter agents"
      />
      <table className="table" data-testid="agents-table">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Status</th>
            <th>Next run</th>
            <th>Running</th>
            <th>Last result</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((a) => (
            <tr key={a.name} data-testid={`agent-row-${a.name}`}>
              <td>
                <Link to={`/agents/${encodeURIComponent(a.name)}`}>{a.name}</Link>
                {a.description && <div className="muted small">{a.description}</div>}
              </td>
              <td>
                <StatusBadge status={a.running.length ? "running" : a.queued.length ? "queued" : "idle"} />
              </td>
              <td title={nextRun(a) ?? undefined}>{timeAgo(nextRun(a))}</td>
              <td>
                {a.running.length === 0 && <span className="muted">—</span>}
                {a.running.map((j) => (
                  <Link key={j.id} to={`/jobs/${j.id}`} className="mono small block">
                    {j.id}
                  </Link>
                ))}
                {a.queued.length > 0 && <span className="muted small"> +{a.queued.length} queued</span>}
              </td>
              <td>
                {a.lastJob ? (
                  <Link to={`/jobs/${a.lastJob.id}`} className="last">
                    <StatusBadge status={a.lastJob.status} />{" "}
                    <span className="muted small">{timeAgo(a.lastJob.finishedAt)}</span>
                    <div className="small clip">{a.lastJob.error ?? a.lastJob.summary ?? ""}</div>
                  </Link>
                ) : (
                  <span className="muted">never run</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {agents.data && shown.length === 0 && <p className="muted">No agents match.</p>}
    </section>
  );
}
