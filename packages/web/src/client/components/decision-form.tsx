import { useState } from "react";
import { ErrorNote } from "./common.js";

export type Decide = (decision: "approve" | "deny", reason: string) => Promise<void>;

/**
 * Approve or deny one request, with an optional reason that the agent is told (deny) and the
 * audit trail keeps. Where it is shown decides what a decision then does (`decide`): the
 * approvals view updates its store, a chat reloads its turn.
 */
export function DecisionForm(props: {
  id: string;
  decide: Decide;
  testIds?: { reason: string; approve?: string; deny?: string };
}) {
  const { id } = props;
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState<"approve" | "deny" | null>(null);
  const [error, setError] = useState<unknown>();
  const decide = async (decision: "approve" | "deny") => {
    setBusy(decision);
    setError(undefined);
    try {
      await props.decide(decision, reason);
    } catch (e) {
      setError(e);
      setBusy(null);
    }
  };
  return (
    <div className="approval-form">
      <input
        type="text"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        maxLength={500}
        placeholder="reason (optional)"
        aria-label={`reason for the decision on ${id} (optional)`}
        data-testid={props.testIds?.reason ?? "approval-reason"}
      />
      <button
        type="button"
        className="approve"
        disabled={busy !== null}
        onClick={() => decide("approve")}
        aria-label={`Approve ${id}`}
        data-testid={props.testIds?.approve}
      >
        {busy === "approve" ? "Approving…" : "Approve"}
      </button>
      <button
        type="button"
        className="danger"
        disabled={busy !== null}
        onClick={() => decide("deny")}
        aria-label={`Deny ${id}`}
        data-testid={props.testIds?.deny}
      >
        {busy === "deny" ? "Denying…" : "Deny"}
      </button>
      <ErrorNote error={error} />
    </div>
  );
}
