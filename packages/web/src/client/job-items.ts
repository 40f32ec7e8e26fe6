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
