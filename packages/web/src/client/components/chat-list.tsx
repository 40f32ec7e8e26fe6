import { api } from "../api.js";
import { timeAgo } from "../format.js";
import { useLiveRefresh } from "../live.js";
import type { ChatRecord } from "../types.js";
import { useData } from "../use-data.js";
import { ErrorNote, Link } from "./common.js";

/** Chats, newest activity first; kept current by the chat events on the live channel. */
export function ChatList(props: {
  agent?: string;
  /** Where a row leads: the chat's own page, or the agent page with the chat open. */
  href: (chat: ChatRecord) => string;
  activeId?: string | null;
  /** Beside an open chat: titles and times only. */
  compact?: boolean;
}) {
  const query = props.agent ? `?agent=${encodeURIComponent(props.agent)}` : "";
  const list = useData(() => api.get<{ chats: ChatRecord[] }>(`/api/chats${query}`), query);
  useLiveRefresh(list.reload, (m) => m.type === "hello" || (m.event?.startsWith("chat:") ?? false));
  const chats = list.data?.chats;
  return (
    <>
      <ErrorNote error={list.error} />
      {chats && chats.length === 0 && <p className="muted">No chats yet.</p>}
      {chats && chats.length > 0 && (
        <table className="table chat-list" data-testid="chat-list">
          <thead>
            <tr>
              {!props.agent && <th>Agent</th>}
              <th>Title</th>
              {!props.compact && <th>Last message</th>}
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {chats.map((c) => (
              <tr
                key={c.id}
                data-testid={`chat-row-${c.id}`}
                className={c.id === props.activeId ? "active" : undefined}
              >
                {!props.agent && (
                  <td>
                    <Link to={`/agents/${encodeURIComponent(c.agent)}`}>{c.agent}</Link>
                  </td>
                )}
                <td className="chat-title-cell">
                  <Link to={props.href(c)}>{c.title || "(untitled)"}</Link>
                  {c.runningJobId && <span className="badge badge-running">running</span>}
                </td>
                {!props.compact && (
                  <td>
                    <div className="small clip">{c.lastMessage ?? ""}</div>
                  </td>
                )}
                <td title={c.lastActiveAt} className="nowrap">
                  {timeAgo(c.lastActiveAt)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
