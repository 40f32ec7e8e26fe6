import { ChatList } from "../components/chat-list.js";
import { ChatView } from "../components/chat-view.js";
import { openCommandPalette } from "../components/command-palette.js";
import { Link } from "../components/common.js";
import { navigate } from "../router.js";

/** Every chat with every agent. */
export function ChatsPage() {
  return (
    <section>
      <div className="page-head">
        <h1>Chats</h1>
        <button type="button" data-testid="new-chat" onClick={openCommandPalette}>
          New chat…
        </button>
        <span className="muted small">or press Ctrl+K anywhere</span>
      </div>
      <ChatList href={(c) => `/chats/${encodeURIComponent(c.id)}`} />
    </section>
  );
}

/** One chat on its own page; `id` null with `agent` is a new chat that the first message saves. */
export function ChatPage({ id, agent }: { id: string | null; agent?: string }) {
  return (
    <section className="chat-page">
      <div className="page-head">
        <Link to="/chats">← All chats</Link>
      </div>
      <ChatView
        id={id}
        agent={agent}
        onCreated={(chat) => navigate(`/chats/${encodeURIComponent(chat.id)}`, { replace: true })}
        onDeleted={() => navigate("/chats")}
      />
    </section>
  );
}
