/** Which input of a well-known tool says what the call aimed at. */
const TARGET_KEYS: Record<string, string> = {
  Bash: "command",
  Read: "file_path",
  Write: "file_path",
  Edit: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
  Glob: "pattern",
  Grep: "pattern",
  WebFetch: "url",
  WebSearch: "query",
  Task: "description",
};

const MAX_TARGET = 80;

/** One line for a chat: the tool's name and, for a tool we know, what it aimed at (shortened). */
export function summarizeTool(name: string, input: unknown): string {
  const key = TARGET_KEYS[name];
  const value =
    key && input && typeof input === "object" ? (input as Record<string, unknown>)[key] : undefined;
  if (typeof value !== "string" || value.trim() === "") return name;
  const line = value.trim().split("\n")[0]!;
  const short = line.length > MAX_TARGET ? `${line.slice(0, MAX_TARGET - 1)}…` : line;
  return `${name}: ${short}`;
}
