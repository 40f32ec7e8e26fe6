import { cost, duration, timeAgo } from "../format.js";
import type { Job } from "../types.js";
import { Link, StatusBadge } from "./common.js";

export function JobsTable({ jobs, hideAgent }: { jobs: Job[]; hideAgent?: boolean }) {
  if (jobs.length === 0) return <p className="muted">No jobs.</p>;
  return (
    <table className="table" data-testid="jobs-table">
      <thead>
        <tr>
          <th>Job</th>
          {!hideAgent && <th>Agent</th>}
          <th>Status</th>
          <th>Trigger</th>
          <th>Created</th>
          <th>Duration</th>
          <th>Cost</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id}>
            <td>
              <Link to={`/jobs/${j.id}`} className="mono small">
                {j.id}
              </Link>
            </td>
            {!hideAgent && (
              <td>
                <Link to={`/agents/${encodeURIComponent(j.agent)}`}>{j.agent}</Link>
              </td>
            )}
            <td>
              <StatusBadge status={j.status} />
            </td>
            <td className="muted">
              {j.triggerType}
              {j.schedule ? ` · ${j.schedule}` : ""}
              {j.attempt > 1 ? ` · attempt ${j.attempt}` : ""}
            </td>
            <td title={j.createdAt}>{timeAgo(j.createdAt)}</td>
            <td>{duration(j.durationMs)}</td>
            <td>{cost(j)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
