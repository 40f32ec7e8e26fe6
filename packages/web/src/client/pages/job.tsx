import { useEffect, useState } from "react";
import { api } from "../api.js";
import { useApprovals } from "../approvals.js";
import { ApprovalCard } from "../components/approval-card.js";
import { ErrorNote, Link, StatusBadge } from "../components/common.js";
import { JobOutput } from "../components/job-output.js";
import { cost, count, duration, timeAgo } from "../format.js";
import { live, useLiveRefresh } from "../live.js";
import { navigate } from "../router.js";
import { type Job, TERMINAL } from "../types.js";
import { useData } from "../use-data.js";

type Line = { line: number; message: unknown };

export function JobPage({ id }: { id: string }) {
  const job = useData(
    () => api.get<{ job: Job }>(`/api/jobs/${encodeURIComponent(id)}`).then((r) => r.job),
    id,
  );
  const [lines, setLines] = useState<Line[]>([]);
  const [cancelling, setCancelling] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const { setData } = job;
  // Waiting for a person and going on again change the status without a job event.
  useLiveRefresh(
    job.reload,
    (msg) => msg.event?.startsWith("approval:") === true && (msg.payload as { jobId?: string })?.jobId === id,
  );
  const asking = useApprovals().filter((r) => r.jobId === id && r.state === "pending");

  useEffect(() => {
    setLines([]);
    const off = live.on((msg) => {
      if (msg.jobId === id && msg.type === "output" && typeof msg.line === "number") {
        const entry = { line: msg.line, message: msg.message };
        // A resubscription after a reconnect may repeat the last line; keep the order, drop repeats.
        setLines((prev) =>
          prev.length && prev[prev.length - 1]!.line >= entry.line ? prev : [...prev, entry],
        );
      } else if ((msg.type === "job" || msg.type === "output-end") && msg.job?.id === id) {
        const update = msg.job;
        setData((prev) => (prev ? ({ ...prev, ...update } as Job) : prev));
      }
    });
    live.follow(id, 0);
    return () => {
      off();
      live.unfollow(id);
    };
  }, [id, setData]);

  const cancel = async () => {
    setCancelling(true);
    setActionError(undefined);
    try {
      const res = await api.post<{ job: Job }>(`/api/jobs/${encodeURIComponent(id)}/cancel`);
      setData(res.job);
    } catch (error) {
      setActionError(error);
    } finally {
      setCancelling(false);
    }
  };

  const fork = async (prompt: string) => {
    setActionError(undefined);
    try {
      const res = await api.post<{ job: Job }>(`/api/jobs/${encodeURIComponent(id)}/fork`, {
        prompt: prompt.trim() === "" ? undefined : prompt,
      });
      navigate(`/jobs/${encodeURIComponent(res.job.id)}`);
    } catch (error) {
      setActionError(error);
    }
  };

  const j = job.data;
  const tokens = j ? (j.inputTokens ?? 0) + (j.outputTokens ?? 0) : 0;
  return (
    <section>
      <div className="page-head">
        <h1 className="mono">{id}</h1>
        {j && <StatusBadge status={j.status} />}
        {j && !TERMINAL.has(j.status) && (
          <button
            type="button"
            className="danger"
            onClick={cancel}
            disabled={cancelling}
            data-testid="cancel"
          >
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        )}
        {j && TERMINAL.has(j.status) && j.sessionId && <ForkButton key={id} onFork={fork} />}
      </div>
      <ErrorNote error={job.error ?? actionError} />
      {j && (
        <>
          <dl className="facts" data-testid="job-facts" data-status={j.status}>
            <div>
              <dt>Agent</dt>
              <dd>
                <Link to={`/agents/${encodeURIComponent(j.agent)}`}>{j.agent}</Link>
              </dd>
            </div>
            <div>
              <dt>Trigger</dt>
              <dd>
                {j.triggerType}
                {j.schedule ? ` · ${j.schedule}` : ""}
                {j.attempt > 1 ? ` · attempt ${j.attempt}` : ""}
              </dd>
            </div>
            {j.workerId && (
              <div data-testid="job-worker">
                <dt>Worker</dt>
                <dd className="mono">
                  {j.workerId}
                  {j.cancelRequested && !TERMINAL.has(j.status) ? " · cancel requested" : ""}
                </dd>
              </div>
            )}
            {j.forkedFrom && (
              <div data-testid="forked-from">
                <dt>Forked from</dt>
                <dd className="mono">
                  <Link to={`/jobs/${encodeURIComponent(j.forkedFrom)}`}>{j.forkedFrom}</Link>
                </dd>
              </div>
            )}
            {j.retryOf && (
              <div>
                <dt>Retry of</dt>
                <dd className="mono">
                  <Link to={`/jobs/${encodeURIComponent(j.retryOf)}`}>{j.retryOf}</Link>
                </dd>
              </div>
            )}
            {j.nextRetryAt && (
              <div data-testid="next-retry">
                <dt>Next attempt</dt>
                <dd title={j.nextRetryAt}>
                  {j.attempt + 1} · {timeAgo(j.nextRetryAt)}
                </dd>
              </div>
            )}
            <div>
              <dt>Started</dt>
              <dd title={j.startedAt ?? undefined}>{timeAgo(j.startedAt)}</dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{duration(j.durationMs)}</dd>
            </div>
            <div>
              <dt>Turns</dt>
              <dd data-testid="turns">{count(j.numTurns)}</dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd title={`in ${count(j.inputTokens)} · out ${count(j.outputTokens)}`}>
                {j.numTurns === null ? "—" : count(tokens)}
              </dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd>{cost(j)}</dd>
            </div>
          </dl>
          {j.error && <div className="error">{j.error}</div>}
          {asking.length > 0 && (
            <div className="job-approvals" data-testid="job-approvals">
              <h3>Waiting for approval</h3>
              {asking.map((r) => (
                <ApprovalCard key={r.id} record={r} showJob={false} />
              ))}
            </div>
          )}
          {j.toolFailures && j.toolFailures.length > 0 && (
            <div className="warning" data-testid="tool-failures">
              {j.toolFailures.length === 1
                ? "1 tool call was refused"
                : `${j.toolFailures.length} tool calls were refused`}{" "}
              (the status is claude's own):
              <ul>
                {j.toolFailures.map((f, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: the list never reorders
                  <li key={i} className="mono">
                    {f.tool}
                    {f.target ? ` ${f.target}` : ""} ({f.reason})
                  </li>
                ))}
              </ul>
            </div>
          )}
          {j.metadata && (
            <div className="metadata" data-testid="job-metadata">
              <h3>Metadata</h3>
              <div className="muted small">written by the agent to its metadata file</div>
              <pre>{JSON.stringify(j.metadata, null, 2)}</pre>
            </div>
          )}
          {j.egress && j.egress.length > 0 && <EgressTable egress={j.egress} />}
          {j.prompt && (
            <details className="prompt">
              <summary>Prompt</summary>
              <pre>{j.prompt}</pre>
            </details>
          )}
        </>
      )}
      <h2>Output</h2>
      <JobOutput lines={lines} />
      {j && !TERMINAL.has(j.status) && <div className="muted small streaming">streaming…</div>}
    </section>
  );
}

/** What a proxy-only job reached through herdctl's egress proxy, refusals first. */
function EgressTable({ egress }: { egress: NonNullable<Job["egress"]> }) {
  const rows = [...egress].sort((a, b) => Number(a.allowed) - Number(b.allowed));
  return (
    <div className="egress" data-testid="job-egress">
      <h3>Network egress</h3>
      <div className="muted small">through herdctl's proxy; refused hosts are not in docker.egress.allow</div>
      <table className="table">
        <thead>
          <tr>
            <th>Host</th>
            <th>Port</th>
            <th>Result</th>
            <th>Connections</th>
            <th>Sent</th>
            <th>Received</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={`${e.allowed}-${e.host}:${e.port}`} className={e.allowed ? "" : "refused"}>
              <td className="mono">{e.host}</td>
              <td>{e.port}</td>
              <td title={e.reason}>
                {e.allowed ? (e.reason ? `failed: ${e.reason}` : "allowed") : "refused"}
              </td>
              <td>{e.connections}</td>
              <td>{bytes(e.bytesUp)}</td>
              <td>{bytes(e.bytesDown)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Forking asks for the new job's prompt first (empty: the agent's default prompt), then starts the
 * job and opens it; the job shown here and its session stay as they are.
 */
function ForkButton({ onFork }: { onFork: (prompt: string) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [prompt, setPrompt] = useState("");
  const [busy, setBusy] = useState(false);
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)} data-testid="fork">
        Fork
      </button>
    );
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onFork(prompt);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="fork-form" onSubmit={submit} data-testid="fork-form">
      <input
        type="text"
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        placeholder="prompt for the fork (empty: the agent's default prompt)"
        aria-label="prompt for the fork"
        data-testid="fork-prompt"
      />
      <button type="submit" disabled={busy} data-testid="fork-start">
        {busy ? "Forking…" : "Start fork"}
      </button>
      <button type="button" onClick={() => setOpen(false)} disabled={busy}>
        Cancel
      </button>
    </form>
  );
}
