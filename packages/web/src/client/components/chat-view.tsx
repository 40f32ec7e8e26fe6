import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api.js";
import { useChatContext } from "../chat-context.js";
import { type Entry, threadFromMessages, threadFromOutput } from "../chat-thread.js";
import { count } from "../format.js";
import { live } from "../live.js";
import type { AgentStatus, ChatMessageRecord, ChatRecord, Job } from "../types.js";
import { TERMINAL } from "../types.js";
import { useData } from "../use-data.js";
import { relativePath, type Workplace } from "../workplace.js";
import { type ChatApproval, ChatApprovals } from "./chat-approvals.js";
import { ErrorNote, Link } from "./common.js";
import { FileViewer } from "./file-viewer.js";
import { Markdown, ToolCall } from "./job-output.js";

type Line = { line: number; message: unknown };
interface ChatData {
  chat: ChatRecord;
  messages: ChatMessageRecord[];
  /** Requests a turn of the chat waits on. */
  approvals?: ChatApproval[];
}
/** A message sent from this page whose turn has not reached the stored messages yet. */
interface Sent {
  chatId: string;
  jobId: string;
  text: string;
}

const chatPath = (id: string) => `/api/chats/${encodeURIComponent(id)}`;

/**
 * One conversation: the stored messages, the turn in flight streamed from its job's output, and
 * the composer. With `id` null it is a draft: the first message creates the chat.
 */
export function ChatView(props: {
  id: string | null;
  /** Needed for a draft; a saved chat knows its agent. */
  agent?: string;
  onCreated?: (chat: ChatRecord) => void;
  onDeleted?: () => void;
}) {
  const { id } = props;
  const { settings, offline } = useChatContext();
  const data = useData(
    () => (id ? api.get<ChatData>(chatPath(id)) : Promise.resolve(undefined)),
    id ?? `draft:${props.agent}`,
  );
  const agent = data.data?.chat.agent ?? props.agent ?? "";
  const where = useData(
    () =>
      agent
        ? api
            .get<{ agent: AgentStatus }>(`/api/agents/${encodeURIComponent(agent)}`)
            .then((r): Workplace => ({ workingDirectory: r.agent.workingDirectory, docker: r.agent.docker }))
        : Promise.resolve(undefined),
    agent,
  );
  const [sent, setSent] = useState<Sent[]>([]);
  const [lines, setLines] = useState<Record<string, Line[]>>({});
  const [statuses, setStatuses] = useState<Record<string, string>>({});
  const [openFile, setOpenFile] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();
  const { reload } = data;
  const onDeleted = useRef(props.onDeleted);
  onDeleted.current = props.onDeleted;
  const chat = data.data?.chat;
  const messages = data.data?.messages ?? [];

  // Jobs to stream: those sent from here, and the chat's running turn (after a reload, say).
  const answered = useMemo(
    () => new Set(messages.flatMap((m) => (m.role === "assistant" && m.jobId ? [m.jobId] : []))),
    [messages],
  );
  const chatId = chat?.id;
  const pending = useMemo(
    () => sent.filter((s) => s.chatId === chatId && !answered.has(s.jobId)),
    [sent, chatId, answered],
  );
  const running = chat?.runningJobId ?? null;
  const followKey = [...new Set([...pending.map((s) => s.jobId), ...(running ? [running] : [])])].join(",");

  useEffect(() => {
    if (!id) return;
    return live.on((msg) => {
      if (msg.type === "event" && (msg.event === "chat:updated" || msg.event === "chat:deleted")) {
        const payload = msg.payload as { chat?: { id: string }; id?: string };
        if ((payload.chat?.id ?? payload.id) !== id) return;
        if (msg.event === "chat:deleted") onDeleted.current?.();
        else reload();
      }
    });
  }, [id, reload]);

  // A request made or decided for one of the chat's turns (here, in the CLI, by the timeout).
  useEffect(() => {
    const jobs = followKey ? followKey.split(",") : [];
    if (jobs.length === 0) return;
    return live.on((msg) => {
      if (msg.type !== "event" || !msg.event?.startsWith("approval:")) return;
      if (jobs.includes((msg.payload as { jobId?: string } | undefined)?.jobId ?? "")) reload();
    });
  }, [followKey, reload]);

  useEffect(() => {
    const jobs = followKey ? followKey.split(",") : [];
    if (jobs.length === 0) return;
    const off = live.on((msg) => {
      if (!msg.jobId && !msg.job) return;
      const jobId = msg.jobId ?? msg.job!.id;
      if (!jobs.includes(jobId)) return;
      if (msg.type === "output" && typeof msg.line === "number") {
        const entry = { line: msg.line, message: msg.message };
        // A resubscription after a reconnect may repeat lines; keep the order, drop repeats.
        setLines((all) => {
          const prev = all[jobId] ?? [];
          return prev.length && prev[prev.length - 1]!.line >= entry.line
            ? all
            : { ...all, [jobId]: [...prev, entry] };
        });
      } else if ((msg.type === "job" || msg.type === "output-end") && msg.job) {
        const status = msg.job.status;
        setStatuses((s) => ({ ...s, [jobId]: status }));
        if (TERMINAL.has(status)) reload();
      }
    });
    for (const job of jobs) live.follow(job, 0);
    return () => {
      off();
      for (const job of jobs) live.unfollow(job);
    };
  }, [followKey, reload]);

  const send = async (text: string, whileBusy: "queue" | "interrupt") => {
    setActionError(undefined);
    try {
      let target = chat;
      if (!target) {
        target = (await api.post<{ chat: ChatRecord }>("/api/chats", { agent, surface: "web" })).chat;
      }
      const res = await api.post<{ chat: ChatRecord; job: Job }>(`${chatPath(target.id)}/messages`, {
        text,
        whileBusy,
      });
      setSent((s) => [...s, { chatId: target.id, jobId: res.job.id, text }]);
      if (!id) props.onCreated?.(res.chat);
      else data.setData((d) => (d ? { ...d, chat: res.chat } : d));
      return true;
    } catch (error) {
      setActionError(error);
      return false;
    }
  };

  const interrupt = async () => {
    if (!id) return;
    setActionError(undefined);
    try {
      await api.post(`${chatPath(id)}/interrupt`);
      reload();
    } catch (error) {
      setActionError(error);
    }
  };

  const busy = running !== null || pending.some((s) => !TERMINAL.has(statuses[s.jobId] ?? "queued"));

  const entries = useMemo(() => {
    const list: Entry[] = threadFromMessages(messages, settings.messageGrouping);
    for (const jobId of followKey ? followKey.split(",") : []) {
      if (answered.has(jobId)) continue;
      const turn = threadFromOutput(jobId, lines[jobId] ?? [], settings.messageGrouping);
      // A turn's stream goes under its own message: a queued message may already be stored below it.
      const asked = list.findIndex((e) => e.kind === "user" && e.jobId === jobId);
      if (asked >= 0) list.splice(asked + 1, 0, ...turn);
      else {
        const mine = pending.find((s) => s.jobId === jobId);
        if (mine) list.push({ kind: "user", key: `sent-${jobId}`, text: mine.text, pending: true, jobId });
        list.push(...turn);
      }
    }
    return list;
  }, [messages, followKey, pending, answered, lines, settings.messageGrouping]);

  const end = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever the conversation grows
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "nearest" });
  }, [entries.length]);

  return (
    <div className="chat" data-testid="chat" data-chat-id={id ?? ""} data-busy={busy ? "yes" : "no"}>
      {chat && <ChatHead chat={chat} offline={offline} onChanged={reload} onDeleted={props.onDeleted} />}
      {!id && (
        <div className="chat-head">
          <b>New chat with {agent}</b>
        </div>
      )}
      <ErrorNote error={data.error ?? actionError} />
      {chat?.expired && (
        <div className="notice" data-testid="chat-expired">
          Idle longer than {settings.sessionExpiryHours} h: the next message starts a fresh session (the
          history here stays).
        </div>
      )}
      <div className="chat-thread" data-testid="chat-thread">
        {entries.map((e) => (
          <ChatEntry
            key={e.key}
            entry={e}
            offline={offline}
            toolResults={settings.toolResults}
            onOpenFile={(path) => {
              const rel = relativePath(path, where.data);
              if (rel) setOpenFile(rel);
              else setActionError(new Error(`${path} is outside ${agent}'s working directory`));
            }}
          />
        ))}
        <ChatApprovals approvals={data.data?.approvals ?? []} onDecided={reload} />
        {busy && (
          <div className="muted small streaming" data-testid="chat-running">
            working…
          </div>
        )}
        <div ref={end} />
      </div>
      {(!id || chat) && <Composer busy={busy} onSend={send} onInterrupt={id ? interrupt : undefined} />}
      {openFile && <FileViewer agent={agent} path={openFile} onClose={() => setOpenFile(undefined)} />}
    </div>
  );
}

function ChatEntry(props: {
  entry: Entry;
  offline: boolean;
  toolResults: boolean;
  onOpenFile: (path: string) => void;
}) {
  const { entry: e } = props;
  switch (e.kind) {
    case "user":
      return (
        <div className={`bubble bubble-user${e.pending ? " pending" : ""}`} data-testid="chat-user">
          {e.text}
        </div>
      );
    case "assistant":
      return (
        <div className="bubble bubble-agent" data-testid="chat-agent" data-live={e.live ? "yes" : "no"}>
          {e.parts.map((p) =>
            p.kind === "text" ? (
              <Markdown key={p.key} text={p.text} />
            ) : (
              <ToolCall key={p.key} item={p} showResult={props.toolResults} />
            ),
          )}
        </div>
      );
    case "notice":
      return <div className={e.error ? "error" : "notice"}>{e.text}</div>;
    case "turn-end":
      return (
        <div className="turn-end small muted" data-testid="turn-end">
          <span data-testid="turn-cost">
            {props.offline
              ? "offline, not billed"
              : e.costUsd === null
                ? "cost —"
                : `$${e.costUsd.toFixed(4)}`}
          </span>
          {e.tokens !== null && <span>{count(e.tokens)} tokens</span>}
          <Link to={`/jobs/${encodeURIComponent(e.jobId)}`}>job</Link>
          {e.files.map((f) => (
            <button
              key={f}
              type="button"
              className="file-chip"
              data-testid="chat-file"
              title="view the file (read-only)"
              onClick={() => props.onOpenFile(f)}
            >
              {f.split("/").pop()}
            </button>
          ))}
        </div>
      );
    default:
      return null;
  }
}

function ChatHead(props: {
  chat: ChatRecord;
  offline: boolean;
  onChanged: () => void;
  onDeleted?: () => void;
}) {
  const { chat } = props;
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const [title, setTitle] = useState(chat.title);
  const [error, setError] = useState<unknown>();
  const path = chatPath(chat.id);

  const rename = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      await api.patch(path, { title });
      setMode("view");
      props.onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    try {
      await api.delete(path);
      props.onDeleted?.();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="chat-head">
      {mode === "rename" ? (
        <form className="inline-form" onSubmit={rename}>
          <input
            aria-label="chat title"
            data-testid="chat-title-input"
            value={title}
            maxLength={200}
            onChange={(e) => setTitle(e.target.value)}
          />
          <button type="submit" data-testid="chat-title-save">
            Save
          </button>
          <button type="button" onClick={() => setMode("view")}>
            Cancel
          </button>
        </form>
      ) : (
        <b data-testid="chat-title" className="chat-title" title={chat.title}>
          {chat.title}
        </b>
      )}
      <span className="muted small">
        <Link to={`/agents/${encodeURIComponent(chat.agent)}`}>{chat.agent}</Link> · {chat.turns}{" "}
        {chat.turns === 1 ? "turn" : "turns"}
        {!props.offline && chat.costUsd !== null && ` · $${chat.costUsd.toFixed(4)}`}
      </span>
      <span className="spacer" />
      {mode === "view" && (
        <>
          <button
            type="button"
            className="toggle"
            data-testid="chat-rename"
            onClick={() => {
              setTitle(chat.title);
              setMode("rename");
            }}
          >
            rename
          </button>
          <button
            type="button"
            className="toggle"
            data-testid="chat-delete"
            onClick={() => setMode("delete")}
          >
            delete
          </button>
        </>
      )}
      {mode === "delete" && (
        <>
          <span className="small">Delete this chat and its history?</span>
          <button type="button" className="danger" data-testid="chat-delete-confirm" onClick={remove}>
            Delete
          </button>
          <button type="button" onClick={() => setMode("view")}>
            Keep
          </button>
        </>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

/** Enter sends, Shift+Enter starts a new line; while a turn runs, the message queues or interrupts it. */
function Composer(props: {
  busy: boolean;
  onSend: (text: string, whileBusy: "queue" | "interrupt") => Promise<boolean>;
  onInterrupt?: () => void;
}) {
  const [text, setText] = useState("");
  const [whileBusy, setWhileBusy] = useState<"queue" | "interrupt">("queue");
  const [sending, setSending] = useState(false);
  const submit = useCallback(async () => {
    if (!text.trim() || sending) return;
    setSending(true);
    if (await props.onSend(text, whileBusy)) setText("");
    setSending(false);
  }, [text, sending, whileBusy, props.onSend]);
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <textarea
        data-testid="chat-input"
        aria-label="message"
        placeholder="Message (Enter sends, Shift+Enter for a new line)"
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      <div className="row">
        <label className="small muted">
          while a turn runs:{" "}
          <select
            data-testid="chat-while-busy"
            value={whileBusy}
            onChange={(e) => setWhileBusy(e.target.value as "queue" | "interrupt")}
          >
            <option value="queue">queue it</option>
            <option value="interrupt">interrupt the turn</option>
          </select>
        </label>
        <span className="spacer" />
        {props.busy && props.onInterrupt && (
          <button type="button" className="danger" data-testid="chat-stop" onClick={props.onInterrupt}>
            Stop
          </button>
        )}
        <button type="submit" disabled={sending || !text.trim()} data-testid="chat-send">
          Send
        </button>
      </div>
    </form>
  );
}
