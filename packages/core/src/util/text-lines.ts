/** Offsets in a text by line, for edits that splice YAML files and keep every other byte. */

export function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

export function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

/** The start of the line after the one holding `pos` (a block value's range may already end there). */
export function lineEnd(text: string, pos: number): number {
  if (pos > 0 && text[pos - 1] === "\n") return pos;
  const i = text.indexOf("\n", pos);
  return i < 0 ? text.length : i + 1;
}

export function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** "\n" when `at` is not at the start of a line, so an inserted line starts on its own. */
export function newlineBefore(text: string, at: number): string {
  return at > 0 && text[at - 1] !== "\n" ? "\n" : "";
}
