import { useEffect } from "react";
import { api } from "../api.js";
import { useData } from "../use-data.js";
import { ErrorNote } from "./common.js";

interface AgentFile {
  path: string;
  size: number;
  text: string | null;
  truncated: boolean;
}

/** A file the agent wrote, read-only, over the page; Escape or the button closes it. */
export function FileViewer({ agent, path, onClose }: { agent: string; path: string; onClose: () => void }) {
  const file = useData(
    () =>
      api
        .get<{ file: AgentFile }>(
          `/api/agents/${encodeURIComponent(agent)}/files?path=${encodeURIComponent(path)}`,
        )
        .then((r) => r.file),
    `${agent}/${path}`,
  );
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const f = file.data;
  return (
    <div className="overlay" role="dialog" aria-label={`file ${path}`} data-testid="file-viewer">
      <div className="overlay-panel">
        <div className="overlay-head">
          <span className="mono">{path}</span>
          {f && <span className="muted small">{f.size.toLocaleString("en")} bytes, read-only</span>}
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
        <ErrorNote error={file.error} />
        {f && f.text === null && <p className="muted">Binary file: not shown.</p>}
        {f && f.text !== null && <pre data-testid="file-content">{f.text}</pre>}
        {f?.truncated && <p className="muted small">Cut at 1 MiB: open the rest on the host.</p>}
      </div>
    </div>
  );
}
