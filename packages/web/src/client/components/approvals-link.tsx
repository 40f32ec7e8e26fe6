import { useEffect } from "react";
import { approvals, usePendingCount } from "../approvals.js";
import { onLinkClick } from "../router.js";

/** The nav's way to the approvals view, with the number of tool calls waiting for a person. */
export function ApprovalsLink({ active }: { active: boolean }) {
  useEffect(() => approvals.start(), []);
  const pending = usePendingCount();
  const label = `${pending} pending approval${pending === 1 ? "" : "s"}`;
  return (
    <a href="/approvals" onClick={onLinkClick} className={active ? "active" : ""} data-testid="nav-approvals">
      Approvals{" "}
      <span
        className={`count-badge${pending > 0 ? " count-badge-on" : ""}`}
        role="status"
        aria-label={label}
        title={label}
        data-testid="approvals-badge"
        data-count={pending}
      >
        {pending}
      </span>
    </a>
  );
}
