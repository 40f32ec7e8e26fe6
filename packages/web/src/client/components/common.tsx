import { type ConnectionState, live, useConnectionState } from "../live.js";
import { onLinkClick } from "../router.js";

export function Link(props: {
  to: string;
  children: React.ReactNode;
  className?: string;
  testId?: string;
  /** The pointer is on it or it has the focus: a click may follow, what it shows can be asked for now. */
  onIntent?: () => void;
}) {
  return (
    <a
      href={props.to}
      onClick={onLinkClick}
      onPointerEnter={props.onIntent}
      onFocus={props.onIntent}
      className={props.className}
      data-testid={props.testId}
    >
      {props.children}
    </a>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status.replace("_", " ")}</span>;
}

const LABELS: Record<ConnectionState, string> = {
  open: "live",
  connecting: "connecting…",
  closed: "offline",
};

export function ConnectionIndicator() {
  const state = useConnectionState();
  return (
    <div className={`conn conn-${state}`} data-testid="connection" data-state={state}>
      <span className="dot" />
      {LABELS[state]}
      {state === "closed" && (
        <button type="button" className="link-button" onClick={() => live.connect()}>
          reconnect
        </button>
      )}
    </div>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}
