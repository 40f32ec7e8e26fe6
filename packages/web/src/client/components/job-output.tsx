import { memo, useMemo } from "react";
import { renderMarkdown } from "../markdown.js";

interface Block {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
  thinking?: string;
}

interface OutputMessage {
  type?: string;
  subtype?: string;
  text?: string;
  model?: string;
  message?: { content?: Block[] | string };
  result?: string;
  is_error?: boolean;
}

export type Item =
  | { kind: "text"; key: string; text: string }
  | {
      kind: "tool";
      key: string;
      id: string;
      name: string;
      input: unknown;
      result?: { text: string; error: boolean };
    }
  | { kind: "notice"; key: string; text: string }
  | { kind: "result"; key: string; text: string; error: boolean };

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((c) => (c && typeof c === "object" && "text" in c ? String(c.text) : JSON.stringify(c)))
      .join("\n");
  return content === undefined ? "" : JSON.stringify(content, null, 2);
}

/** Turns the job's raw messages into what a person reads: text, tool calls with their results, notices. */
export function toItems(lines: Array<{ line: number; message: unknown }>): Item[] {
  const items: Item[] = [];
  const tools = new Map<string, Extract<Item, { kind: "tool" }>>();
  for (const { line, message } of lines) {
    const m = message as OutputMessage;
    if (m.type === "herdctl") items.push({ kind: "notice", key: `${line}`, text: m.text ?? "" });
    else if (m.type === "system" && m.subtype === "init")
      items.push({
        kind: "notice",
        key: `${line}`,
        text: `session started${m.model ? ` (${m.model})` : ""}`,
      });
    else if (m.type === "result")
      items.push({
        kind: "result",
        key: `${line}`,
        text: m.result ?? m.subtype ?? "",
        error: m.is_error === true,
      });
    else if ((m.type === "assistant" || m.type === "user") && Array.isArray(m.message?.content)) {
      m.message.content.forEach((b, i) => {
        const key = `${line}.${i}`;
        if (b.type === "text" && m.type === "assistant" && b.text)
          items.push({ kind: "text", key, text: b.text });
        else if (b.type === "tool_use" && b.id) {
          const tool = { kind: "tool" as const, key, id: b.id, name: b.name ?? "tool", input: b.input };
          tools.set(b.id, tool);
          items.push(tool);
        } else if (b.type === "tool_result" && b.tool_use_id) {
          const tool = tools.get(b.tool_use_id);
          if (tool) tool.result = { text: resultText(b.content), error: b.is_error === true };
        }
      });
    }
  }
  return items;
}

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  // biome-ignore lint/security/noDangerouslySetInnerHtml: renderMarkdown escapes raw HTML and unsafe links; the CSP forbids inline script besides
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
});

/** A tool call, folded; `showResult: false` (web.tool_results) leaves out what the tool returned. */
export function ToolCall({
  item,
  showResult = true,
}: {
  item: Extract<Item, { kind: "tool" }>;
  showResult?: boolean;
}) {
  const input = JSON.stringify(item.input, null, 2);
  const summary = typeof item.input === "object" && item.input ? Object.values(item.input)[0] : undefined;
  return (
    <details className={`tool${item.result?.error ? " tool-error" : ""}`} data-testid="tool-call">
      <summary>
        <span className="tool-name">{item.name}</span>
        {typeof summary === "string" && <span className="tool-summary">{summary.slice(0, 120)}</span>}
        <span className="tool-state">
          {item.result ? (item.result.error ? "error" : "done") : "running…"}
        </span>
      </summary>
      <div className="tool-body">
        <div className="label">input</div>
        <pre>{input}</pre>
        {item.result && showResult && (
          <>
            <div className="label">result</div>
            <pre>
              {item.result.text.length > 20_000
                ? `${item.result.text.slice(0, 20_000)}\n…`
                : item.result.text}
            </pre>
          </>
        )}
      </div>
    </details>
  );
}

export function JobOutput({ lines }: { lines: Array<{ line: number; message: unknown }> }) {
  const items = useMemo(() => toItems(lines), [lines]);
  if (items.length === 0) return <p className="muted">No output yet.</p>;
  return (
    <div className="output" data-testid="job-output">
      {items.map((item) => {
        switch (item.kind) {
          case "text":
            return (
              <div key={item.key} className="assistant" data-testid="assistant-text">
                <Markdown text={item.text} />
              </div>
            );
          case "tool":
            return <ToolCall key={item.key} item={item} />;
          case "notice":
            return (
              <div key={item.key} className="notice">
                {item.text}
              </div>
            );
          case "result":
            return (
              <div key={item.key} className={`final${item.error ? " final-error" : ""}`}>
                <div className="label">final result</div>
                <Markdown text={item.text} />
              </div>
            );
          default:
            return null;
        }
      })}
    </div>
  );
}
