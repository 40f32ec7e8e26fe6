/** A piece of a reply and the separator that stood before it in the original text. */
interface Atom {
  sep: string;
  text: string;
}

const FENCE = /^\s*(`{3,}|~{3,})/;

/** Finer and finer places to break prose: paragraphs, then lines, then words. */
const BREAKS = ["\n\n", "\n", " "];

/** Prose too long for one message, broken at the coarsest boundary that makes every piece fit. */
function breakProse(text: string, limit: number, level = 0): string[] {
  if (text.length <= limit) return [text];
  const sep = BREAKS[level];
  if (sep === undefined) {
    const cuts: string[] = [];
    for (let i = 0; i < text.length; i += limit) cuts.push(text.slice(i, i + limit));
    return cuts;
  }
  const out: string[] = [];
  let current = "";
  for (const part of text.split(sep)) {
    for (const piece of breakProse(part, limit, level + 1)) {
      if (current === "") current = piece;
      else if (current.length + sep.length + piece.length <= limit) current += sep + piece;
      else {
        out.push(current);
        current = piece;
      }
    }
  }
  if (current !== "") out.push(current);
  return out;
}

/** A fenced block too long for one message: its lines in several blocks, each closed and reopened. */
function breakCode(open: string, lines: string[], close: string, limit: number): string[] {
  const room = Math.max(1, limit - open.length - close.length - 2);
  const blocks: string[] = [];
  let body: string[] = [];
  let size = 0;
  const flush = () => {
    if (body.length) blocks.push(`${open}\n${body.join("\n")}\n${close}`);
    body = [];
    size = 0;
  };
  for (const line of lines) {
    for (const piece of line.length > room ? breakProse(line, room, BREAKS.length) : [line]) {
      if (body.length && size + 1 + piece.length > room) flush();
      size += (body.length ? 1 : 0) + piece.length;
      body.push(piece);
    }
  }
  flush();
  return blocks;
}

/** The reply as prose paragraphs and whole fenced blocks, each with the separator before it. */
function atoms(text: string, limit: number): Atom[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const out: Atom[] = [];
  let prose: string[] = [];
  let sep = "";
  const endProse = () => {
    const joined = prose.join("\n");
    prose = [];
    const leading = joined.length - joined.replace(/^\n+/, "").length;
    const body = joined.replace(/^\n+|\n+$/g, "");
    if (body === "") return;
    const paragraphs = body.split(/\n{2,}/);
    paragraphs.forEach((paragraph, i) => {
      const pieces = breakProse(paragraph, limit, 1);
      pieces.forEach((piece, j) => {
        const before = i === 0 && j === 0 ? sep + "\n".repeat(leading) : j === 0 ? "\n\n" : "\n";
        out.push({ sep: before, text: piece });
      });
    });
    sep = "\n";
  };
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i]!);
    if (!fence) {
      prose.push(lines[i]!);
      continue;
    }
    endProse();
    const marker = fence[1]!;
    const open = lines[i]!.trimStart();
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(marker)) body.push(lines[j++]!);
    // An unclosed fence runs to the end of the reply; each piece is closed so the next renders right.
    const close = j < lines.length ? lines[j]!.trim() : marker;
    const whole = `${open}\n${body.join("\n")}${body.length ? "\n" : ""}${close}`;
    const blocks = whole.length <= limit ? [whole] : breakCode(open, body, close, limit);
    for (const [k, block] of blocks.entries()) out.push({ sep: k === 0 ? sep : "\n", text: block });
    sep = "\n";
    i = j;
  }
  endProse();
  return out;
}

/**
 * Splits a reply into messages of at most `limit` characters at sensible boundaries: between
 * paragraphs, then lines, then words. A fenced code block stays whole in one message; a block
 * longer than the limit alone is split by lines, each part closed and reopened with its fence.
 */
export function splitMessage(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 16)
    throw new RangeError(`limit ${limit} is too small to split into`);
  const chunks: string[] = [];
  let current = "";
  for (const atom of atoms(text, limit)) {
    if (current === "") current = atom.text;
    else if (current.length + atom.sep.length + atom.text.length <= limit) current += atom.sep + atom.text;
    else {
      chunks.push(current);
      current = atom.text;
    }
  }
  if (current.trim() !== "") chunks.push(current);
  return chunks;
}
