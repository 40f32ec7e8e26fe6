import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api.js";
import { navigate } from "../router.js";
import type { AgentStatus } from "../types.js";
import { ErrorNote } from "./common.js";

const OPEN = "herdctl:palette";

/** Opens the palette from a button as the shortcut does. */
export function openCommandPalette(): void {
  window.dispatchEvent(new Event(OPEN));
}

/** Pages the palette goes to, found by any of their words. */
const PAGES = [
  { id: "usage", name: "Usage", to: "/usage", words: "usage spend cost tokens charts durations outcomes" },
];

type Item = { kind: "page"; page: (typeof PAGES)[number] } | { kind: "agent"; name: string };

/**
 * Ctrl+K / Cmd+K anywhere: type part of an agent's name, Enter starts a chat with it; or part of
 * a page's name to go there.
 */
export function CommandPalette() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setOpen((o) => !o);
      } else if (e.key === "Escape") setOpen(false);
    };
    const onOpen = () => setOpen(true);
    window.addEventListener("keydown", onKey);
    window.addEventListener(OPEN, onOpen);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener(OPEN, onOpen);
    };
  }, []);
  return open ? <Palette onClose={() => setOpen(false)} /> : null;
}

function Palette({ onClose }: { onClose: () => void }) {
  const [agents, setAgents] = useState<string[]>();
  const [error, setError] = useState<unknown>();
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    api
      .get<{ agents: AgentStatus[] }>("/api/agents")
      .then((r) => setAgents(r.agents.map((a) => a.name)), setError);
  }, []);
  const shown = useMemo((): Item[] => {
    const q = query.trim().toLowerCase();
    const pages = q === "" ? [] : PAGES.filter((p) => p.words.split(" ").some((w) => w.startsWith(q)));
    return [
      ...pages.map((page) => ({ kind: "page" as const, page })),
      ...(agents ?? [])
        .filter((a) => a.toLowerCase().includes(q))
        .map((name) => ({ kind: "agent" as const, name })),
    ];
  }, [agents, query]);
  const start = (item: Item) => {
    onClose();
    navigate(item.kind === "page" ? item.page.to : `/chats/new?agent=${encodeURIComponent(item.name)}`);
  };
  return (
    <div className="overlay">
      <div className="overlay-panel palette" role="dialog" aria-label="start a chat" data-testid="palette">
        <input
          ref={input}
          aria-label="agent"
          placeholder="Chat with… (type an agent's name) or go to a page (usage)"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setSelected(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") setSelected((s) => Math.min(s + 1, shown.length - 1));
            else if (e.key === "ArrowUp") setSelected((s) => Math.max(s - 1, 0));
            else if (e.key === "Enter" && shown[selected]) start(shown[selected]);
            else return;
            e.preventDefault();
          }}
        />
        <ErrorNote error={error} />
        <ul>
          {shown.map((item, i) => (
            <li key={item.kind === "page" ? `page:${item.page.id}` : item.name}>
              <button
                type="button"
                className={i === selected ? "selected" : undefined}
                data-testid={item.kind === "page" ? `palette-page-${item.page.id}` : `palette-${item.name}`}
                onClick={() => start(item)}
              >
                {item.kind === "page" ? (
                  <>
                    Go to <b>{item.page.name}</b>
                  </>
                ) : (
                  <>
                    New chat with <b>{item.name}</b>
                  </>
                )}
              </button>
            </li>
          ))}
        </ul>
        {agents && shown.length === 0 && <p className="muted small">No agent or page matches.</p>}
      </div>
    </div>
  );
}
