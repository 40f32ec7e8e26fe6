import { useSyncExternalStore } from "react";
import { approvals } from "../approvals.js";
import { timeAgo } from "../format.js";
import type { ApprovalRecord } from "../types.js";
import { Link } from "./common.js";
import { DecisionForm } from "./decision-form.js";

const STATE_TEXT: Record<ApprovalRecord["state"], string> = {
  pending: "waiting",
  approved: "approved",
  denied: "denied",
  timed_out: "timed out",
};

function When({ iso }: { iso: string | null }) {
  return <span title={iso ?? undefined}>{timeAgo(iso)}</span>;
}

/**
 * One tool call that asks (or asked) for a person: what it would do, and either the buttons that
 * decide it or the decision already made. The input summary is shown as text, never as markup:
 * it is the agent's own, redacted by herdctl.
 */
export function ApprovalCard({ record, showJob = true }: { record: ApprovalRecord; showJob?: boolean }) {
  const late = useSyncExternalStore(approvals.subscribe, () => approvals.lateNote(record.id));
  const pending = record.state === "pending";
  return (
    <article
      className={`approval approval-${record.state}`}
      data-testid="approval"
      data-id={record.id}
      data-state={record.state}
      aria-label={`${record.tool} call by ${record.agent}: ${STATE_TEXT[record.state]}`}
    >
      <div className="approval-head">
        <b>{record.agent}</b>
        <span className="mono">{record.tool}</span>
        {showJob && (
          <span className="mono small">
            job <Link to={`/jobs/${encodeURIComponent(record.jobId)}`}>{record.jobId}</Link>
          </span>
        )}
        <span className={`badge badge-approval-${record.state}`}>{STATE_TEXT[record.state]}</span>
      </div>
      <pre className="approval-input" data-testid="approval-input">
        {record.input}
      </pre>
      <div className="muted small">
        {record.rule ? <>matched {<span className="mono">{record.rule}</span>} · </> : null}
        asked <When iso={record.requestedAt} />
        {pending && (
          <>
            {" "}
            · times out <When iso={record.expiresAt} />, then the call is{" "}
            {record.onTimeout === "allow" ? "allowed" : "denied"}
          </>
        )}
      </div>
      {late && (
        <div className="error" role="alert" data-testid="approval-late">
          {late}
        </div>
      )}
      {pending ? (
        <DecisionForm
          id={record.id}
          decide={(decision, reason) => approvals.decide(record.id, decision, reason)}
        />
      ) : (
        <Decision record={record} />
      )}
    </article>
  );
}

function Decision({ record }: { record: ApprovalRecord }) {
  const how =
    record.state === "timed_out"
      ? `nobody decided in time; ${record.onTimeout === "allow" ? "allowed" : "denied"} by on_timeout`
      : `${STATE_TEXT[record.state]} by ${record.decidedBy ?? "unknown"} via ${record.decidedVia ?? "unknown"}`;
  return (
    <div className="approval-decision" data-testid="approval-decision">
      {how}
      {record.reason && record.state !== "timed_out" ? <>: “{record.reason}”</> : null} ·{" "}
      <When iso={record.decidedAt} />
    </div>
  );
}
