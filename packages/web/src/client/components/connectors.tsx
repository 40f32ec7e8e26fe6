import type { ConnectorStatus } from "@herdctl/core";
import { timeAgo } from "../format.js";
import { StatusBadge } from "./common.js";

/** The fleet's chat bots (Discord, Slack): connected, reconnecting, or failed and why. */
export function ConnectorsPanel({ connectors }: { connectors: ConnectorStatus[] }) {
  if (connectors.length === 0) return null;
  return (
    <div className="connectors" data-testid="connectors">
      <h2>Chat connections</h2>
      <ul>
        {connectors.map((c) => (
          <li key={`${c.platform}:${c.key}`} data-testid={`connector-${c.platform}-${c.key}`}>
            <b>{c.platform}</b> <span className="mono small">{c.key}</span> <StatusBadge status={c.status} />{" "}
            <span className="muted small" title={c.since}>
              since {timeAgo(c.since)} · {c.agents.join(", ")}
            </span>
            {c.reason && <div className="small">{c.reason}</div>}
          </li>
        ))}
      </ul>
    </div>
  );
}
