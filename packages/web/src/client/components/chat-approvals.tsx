import { api } from "../api.js";
import { DecisionForm } from "./decision-form.js";

/** A request a turn of this chat waits on, as GET /api/chats/<id> lists them. */
export interface ChatApproval {
  id: string;
  tool: string;
  input: string;
  rule: string | null;
  expiresAt: string;
  onTimeout: "allow" | "deny";
}

/**
 * The chat's pending requests, inline under the turn that asked, each with Approve and Deny. The
 * decision goes through the same endpoint as everywhere (POST /api/approvals/<id>/approve|deny),
 * so it is the dashboard session that is recorded as deciding.
 */
export function ChatApprovals(props: { approvals: ChatApproval[]; onDecided: () => void }) {
  return (
    <>
      {props.approvals.map((a) => (
        <ApprovalRequest key={a.id} approval={a} onDecided={props.onDecided} />
      ))}
    </>
  );
}

function ApprovalRequest(props: { approval: ChatApproval; onDecided: () => void }) {
  const { approval: a } = props;
  const decide = async (decision: "approve" | "deny", reason: string) => {
    const trimmed = reason.trim();
    await api.post(
      `/api/approvals/${encodeURIComponent(a.id)}/${decision}`,
      trimmed ? { reason: trimmed } : {},
    );
    props.onDecided();
  };
  return (
    <div className="notice chat-approval" data-testid="chat-approval" data-approval-id={a.id}>
      <div>
        <b>{a.tool}</b> waits for approval <code>{a.id}</code>
        {a.rule && <span className="muted small"> (rule {a.rule})</span>}
      </div>
      <pre className="small">{a.input}</pre>
      <div className="small muted">
        Without an answer by {new Date(a.expiresAt).toLocaleString()} it is{" "}
        {a.onTimeout === "allow" ? "allowed" : "denied"}.
      </div>
      <DecisionForm
        id={a.id}
        decide={decide}
        testIds={{ reason: "chat-approval-reason", approve: "chat-approve", deny: "chat-deny" }}
      />
    </div>
  );
}
