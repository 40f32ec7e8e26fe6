import { memo, useMemo } from "react";
import { type Item, toItems } from "../job-items.js";
import { renderMarkdown } from "../markdown.js";

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
