import type { RuntimeMessage } from "./interface.js";

/**
 * One line of claude's stream-json output as a message, or undefined for anything else
 * (blank lines, log noise, control protocol traffic): those are tolerated, not fatal.
 */
export function parseStreamJsonLine(line: string): RuntimeMessage | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object") return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || type.startsWith("control_") || type === "keep_alive") return undefined;
  return value as RuntimeMessage;
}

/** Keeps the last `limit` characters of a stream, for error messages. */
export class TailBuffer {
  private text = "";
  constructor(private readonly limit = 4000) {}
  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}
