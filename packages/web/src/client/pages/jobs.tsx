import { useState } from "react";
import { api } from "../api.js";
import { ErrorNote } from "../components/common.js";
import { JobsTable } from "../components/jobs-table.js";
import { navigate, useLocation } from "../router.js";
import { JOB_STATUSES, type JobPage } from "../types.js";
import { useData } from "../use-data.js";

const PAGE = 50;

/** Filters live in the URL; pages go by cursor, so 100,000 jobs cost the same as 100. */
export function JobsPage() {
  const { query } = useLocation();
  const agent = query.get("agent") ?? "";
  const status = query.get("status") ?? "";
  const before = query.get("before") ?? "";
  const [agentInput, setAgentInput] = useState(agent);
  const [history, setHistory] = useState<string[]>([]);

  const params = new URLSearchParams({ limit: String(PAGE) });
  if (agent) params.set("agent", agent);
  if (status) params.set("status", status);
  if (before) params.set("before", before);
  const page = useData(() => api.get<JobPage>(`/api/jobs?${params}`), params.toString());

  const go = (next: Record<string, string>) => {
    const q = new URLSearchParams();
    const merged = { agent, status, ...next };
    for (const [k, v] of Object.entries(merged)) if (v) q.set(k, v);
    navigate(`/jobs${q.size ? `?${q}` : ""}`);
  };

  return (
    <section>
      <div className="page-head">
        <h1>Jobs</h1>
      </div>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setHistory([]);
          go({ agent: agentInput.trim(), before: "" });
        }}
      >
        <input
          placeholder="Agent"
          value={agentInput}
          onChange={(e) => setAgentInput(e.target.value)}
          aria-label="Agent"
        />
        <select
          value={status}
          aria-label="Status"
          onChange={(e) => {
            setHistory([]);
            go({ status: e.target.value, before: "" });
          }}
        >
          <option value="">any status</option>
          {JOB_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </select>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={page.error} />
      {page.data && <JobsTable jobs={page.data.jobs} />}
      <div className="pager">
        <button
          type="button"
          disabled={!before}
          onClick={() => {
            const prev = history.slice(0, -1);
            go({ before: history.at(-1) ?? "" });
            setHistory(prev);
          }}
        >
          ← Newer
        </button>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => {
            setHistory([...history, before]);
            go({ before: page.data!.nextCursor! });
          }}
        >
          Older →
        </button>
      </div>
    </section>
  );
}
