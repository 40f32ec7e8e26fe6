import { useEffect, useState } from "react";
import { approvals, useApprovals } from "../approvals.js";
import { ApprovalCard } from "../components/approval-card.js";
import { ErrorNote } from "../components/common.js";

/** Tool calls waiting for a person, oldest first (the first asked is the first to time out), then the decided ones. */
export function ApprovalsPage() {
  const records = useApprovals();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    approvals.load(true).catch(setError);
  }, []);
  const pending = records.filter((r) => r.state === "pending").reverse();
  const decided = records
    .filter((r) => r.state !== "pending")
    .sort((a, b) => (b.decidedAt ?? "").localeCompare(a.decidedAt ?? ""));
  return (
    <section>
      <div className="page-head">
        <h1>Approvals</h1>
        <span className="muted">tool calls the fleet file says a person must allow</span>
      </div>
      <ErrorNote error={error} />
      <h2>Pending</h2>
      <div data-testid="approvals-pending">
        {pending.length === 0 ? (
          <p className="muted">Nothing is waiting for a decision.</p>
        ) : (
          pending.map((r) => <ApprovalCard key={r.id} record={r} />)
        )}
      </div>
      <h2>Decided</h2>
      <div data-testid="approvals-decided">
        {decided.length === 0 ? (
          <p className="muted">No decisions yet.</p>
        ) : (
          decided.map((r) => <ApprovalCard key={r.id} record={r} />)
        )}
      </div>
    </section>
  );
}
