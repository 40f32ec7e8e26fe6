/** Cutting notes to an agent's cap, and the wording that tells the agent and people about it. */

export interface CappedNotes {
  readonly content: string;
  /** The size before the cut; undefined when the notes fit. */
  readonly truncatedFrom?: number;
}

function cutMarker(maxBytes: number, bytes: number): string {
  return `\n\n[herdctl: these notes were cut to ${maxBytes} bytes from ${bytes}; keep them shorter]\n`;
}

/**
 * The notes within `maxBytes`, marker included, so what is stored is exactly what the next job
 * sees. The cut falls on a character boundary: a split UTF-8 sequence would turn into U+FFFD.
 */
export function capNotes(content: string, maxBytes: number): CappedNotes {
  const bytes = Buffer.byteLength(content);
  if (bytes <= maxBytes) return { content };
  const marker = cutMarker(maxBytes, bytes);
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker));
  const head = Buffer.from(content)
    .subarray(0, room)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return { content: `${head}${marker}`, truncatedFrom: bytes };
}

export function capNotice(file: string, maxBytes: number, bytes: number): string {
  return `memory: ${file} holds ${bytes} bytes, over memory.max_bytes ${maxBytes}; stored the first ${maxBytes} bytes (the notes say they were cut)`;
}
