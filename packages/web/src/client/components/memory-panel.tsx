import { useState } from "react";
import { api } from "../api.js";
import { timeAgo } from "../format.js";
import { useData } from "../use-data.js";
import { ErrorNote } from "./common.js";

interface MemoryVersion {
  version: number;
  content?: string;
  bytes: number;
  truncatedFrom: number | null;
  source: "job" | "edit";
  jobId: string | null;
  actor: string | null;
  createdAt: string;
}

interface MemoryView {
  enabled: boolean;
  maxBytes: number | null;
  file: string;
  current: MemoryVersion | null;
  versions: MemoryVersion[];
}

/** The agent's notes (memory: true): the current text, an edit box, and every version. */
export function MemoryPanel({ name }: { name: string }) {
  const path = `/api/agents/${encodeURIComponent(name)}/memory`;
  const view = useData(() => api.get<MemoryView>(path), name);
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [shown, setShown] = useState<MemoryVersion | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const data = view.data;
  if (!data?.enabled && !data?.current) return null;

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    if (draft === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.put(path, { content: draft });
      setDraft(undefined);
      view.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const show = async (version: number) => {
    setError(undefined);
    try {
      setShown((await api.get<{ version: MemoryVersion }>(`${path}?version=${version}`)).version);
    } catch (err) {
      setError(err);
    }
  };

  const current = data.current?.content ?? "";
  return (
    <div data-testid="memory">
      <h2>Memory</h2>
      <p className="muted small">
        Notes the agent keeps in {data.file}; they are added to its system prompt at the start of every job
        {data.maxBytes !== null && ` (at most ${data.maxBytes} bytes)`}. Written by the agent: read them as
        its words.
      </p>
      <ErrorNote error={view.error ?? error} />
      {draft === undefined ? (
        <>
          <pre className="memory-notes" data-testid="memory-notes">
            {current === "" ? "(no notes yet)" : current}
          </pre>
          {data.enabled && (
            <button type="button" data-testid="memory-edit" onClick={() => setDraft(current)}>
              Edit
            </button>
          )}
        </>
      ) : (
        <form className="trigger" onSubmit={save}>
          <textarea
            data-testid="memory-draft"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            rows={10}
          />
          <div className="row">
            <button type="button" onClick={() => setDraft(undefined)}>
              Cancel
            </button>
            <button type="submit" disabled={busy} data-testid="memory-save">
              {busy ? "Saving…" : "Save as a new version"}
            </button>
          </div>
        </form>
      )}
      {data.versions.length > 0 && (
        <table className="table" data-testid="memory-versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>When</th>
              <th>By</th>
              <th>Bytes</th>
            </tr>
          </thead>
          <tbody>
            {data.versions.map((v) => (
              <tr key={v.version} data-testid={`memory-version-${v.version}`}>
                <td>
                  <button type="button" className="toggle" onClick={() => show(v.version)}>
                    v{v.version}
                  </button>
                </td>
                <td>{timeAgo(v.createdAt)}</td>
                <td className="muted">{v.source === "job" ? `job ${v.jobId ?? ""}` : (v.actor ?? "edit")}</td>
                <td>
                  {v.bytes}
                  {v.truncatedFrom !== null && (
                    <span className="muted small"> (cut from {v.truncatedFrom})</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && (
        <>
          <h3>Version {shown.version}</h3>
          <pre className="memory-notes" data-testid="memory-shown">
            {shown.content}
          </pre>
        </>
      )}
    </div>
  );
}
