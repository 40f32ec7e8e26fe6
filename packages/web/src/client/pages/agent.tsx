import { useState } from "react";
import { api } from "../api.js";
import { ChatList } from "../components/chat-list.js";
import { ChatView } from "../components/chat-view.js";
import { ErrorNote, Link } from "../components/common.js";
import { JobsTable } from "../components/jobs-table.js";
import { MemoryPanel } from "../components/memory-panel.js";
import { timeAgo } from "../format.js";
import { useLiveRefresh } from "../live.js";
import { navigate, useLocation } from "../router.js";
import type { AgentStatus, Job } from "../types.js";
import { useData } from "../use-data.js";

export function AgentPage({ name }: { name: string }) {
  const detail = useData(
    () => api.get<{ agent: AgentStatus; recentJobs: Job[] }>(`/api/agents/${encodeURIComponent(name)}`),
    name,
  );
  useLiveRefresh(detail.reload, (m) => !m.job || m.job.agent === name);
  const [prompt, setPrompt] = useState("");
  const [fresh, setFresh] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>();

  const trigger = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setActionError(undefined);
    try {
      const body: Record<string, unknown> = {};
      if (prompt.trim()) body.prompt = prompt;
      if (fresh) body.fresh = true;
      const { job } = await api.post<{ job: Job }>(`/api/agents/${encodeURIComponent(name)}/trigger`, body);
      navigate(`/jobs/${job.id}`);
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(false);
    }
  };

  const toggle = async (schedule: string, enable: boolean) => {
    setActionError(undefined);
    try {
      await api.post(
        `/api/schedules/${encodeURIComponent(name)}/${encodeURIComponent(schedule)}/${enable ? "enable" : "disable"}`,
      );
      detail.reload();
    } catch (error) {
      setActionError(error);
    }
  };

  const cancelWake = async (id: string) => {
    setActionError(undefined);
    try {
      await api.delete(`/api/wakes/${encodeURIComponent(id)}`);
      detail.reload();
    } catch (error) {
      setActionError(error);
    }
  };

  const agent = detail.data?.agent;
  return (
    <section>
      <div className="page-head">
        <h1>{name}</h1>
        {agent && (
          <div className="stats">
            <span>{agent.runtime}</span>
            {agent.model && <span>{agent.model}</span>}
            {agent.docker && <span>docker</span>}
            <span>max {agent.maxConcurrent} at once</span>
          </div>
        )}
      </div>
      {agent?.description && <p className="muted">{agent.description}</p>}
      <ErrorNote error={detail.error ?? actionError} />

      <AgentChat name={name} />

      <h2>Trigger</h2>
      <form className="trigger" onSubmit={trigger}>
        <textarea
          data-testid="prompt"
          placeholder="Prompt (empty: the agent's default prompt)"
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          rows={4}
        />
        <div className="row">
          <label>
            <input type="checkbox" checked={fresh} onChange={(e) => setFresh(e.target.checked)} /> fresh
            session
          </label>
          <button type="submit" disabled={busy} data-testid="trigger">
            {busy ? "Starting…" : "Run now"}
          </button>
        </div>
      </form>

      <h2>Schedules</h2>
      {agent && agent.schedules.length === 0 && <p className="muted">No schedules.</p>}
      {agent && agent.schedules.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Schedule</th>
              <th>When</th>
              <th>Next run</th>
              <th>Last run</th>
              <th>Enabled</th>
            </tr>
          </thead>
          <tbody>
            {agent.schedules.map((s) => (
              <tr key={s.name} data-testid={`schedule-${s.name}`}>
                <td>{s.name}</td>
                <td className="muted">{s.when}</td>
                <td>{s.enabled ? timeAgo(s.nextRunAt) : "—"}</td>
                <td>
                  {timeAgo(s.lastRunAt)}{" "}
                  {s.lastStatus && <span className="muted small">({s.lastStatus})</span>}
                </td>
                <td>
                  <button
                    type="button"
                    className={s.enabled ? "toggle on" : "toggle"}
                    aria-pressed={s.enabled}
                    onClick={() => toggle(s.name, !s.enabled)}
                  >
                    {s.enabled ? "enabled" : "disabled"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {agent && agent.wakes.length > 0 && (
        <>
          <h2>Wakes</h2>
          <table className="table" data-testid="wakes">
            <thead>
              <tr>
                <th>Wake</th>
                <th>When</th>
                <th>Next</th>
                <th>Prompt (written by the agent)</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {agent.wakes.map((w) => (
                <tr key={w.id} data-testid={`wake-${w.id}`}>
                  <td className="muted small">{w.id}</td>
                  <td className="muted">{w.kind === "cron" ? `cron ${w.cron} (${w.timezone})` : "once"}</td>
                  <td>{timeAgo(w.nextFireAt)}</td>
                  <td>{w.prompt}</td>
                  <td>
                    <button type="button" className="toggle" onClick={() => cancelWake(w.id)}>
                      cancel
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      {agent && agent.rejectedWebhooks.length > 0 && (
        <>
          <h2>Refused webhook calls</h2>
          <table className="table" data-testid="refused-webhooks">
            <thead>
              <tr>
                <th>When</th>
                <th>Schedule</th>
                <th>Answer</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {agent.rejectedWebhooks.map((r) => (
                <tr key={r.id}>
                  <td>{timeAgo(r.at)}</td>
                  <td>{r.schedule}</td>
                  <td>
                    {r.status} {r.code}
                  </td>
                  <td className="muted">
                    {r.message}
                    {r.suppressed > 0 && ` (and ${r.suppressed} more, not recorded)`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <MemoryPanel name={name} />

      <h2>Recent jobs</h2>
      {detail.data && <JobsTable jobs={detail.data.recentJobs} hideAgent />}
    </section>
  );
}

/** The agent's chats beside the open one (`?chat=<id>`, so a reload keeps it); without one, a new chat. */
function AgentChat({ name }: { name: string }) {
  const { query } = useLocation();
  const open = query.get("chat");
  const base = `/agents/${encodeURIComponent(name)}`;
  return (
    <>
      <h2>Chat</h2>
      <div className="chat-panel" data-testid="agent-chat">
        <aside>
          <Link to={base} testId="agent-new-chat">
            + New chat
          </Link>
          <ChatList
            agent={name}
            compact
            activeId={open}
            href={(c) => `${base}?chat=${encodeURIComponent(c.id)}`}
          />
        </aside>
        <ChatView
          id={open}
          agent={name}
          onCreated={(chat) => navigate(`${base}?chat=${encodeURIComponent(chat.id)}`, { replace: true })}
          onDeleted={() => navigate(base, { replace: true })}
        />
      </div>
    </>
  );
}
