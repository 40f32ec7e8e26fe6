import { createHash } from "node:crypto";
import type { Redactor } from "../secrets/redactor.js";

/** Enough to judge a command or a file write; the full input stays in the job's output. */
export const APPROVAL_INPUT_MAX = 2000;

/**
 * What a person reads to decide: the call's input, secrets redacted, control characters shown as
 * escapes (the text reaches terminals and chats), cut to APPROVAL_INPUT_MAX characters.
 */
export function summarizeInput(input: Record<string, unknown>, redactor: Redactor): string {
  const text = redactor.redact(JSON.stringify(input) ?? "{}");
  return text.length > APPROVAL_INPUT_MAX ? `${text.slice(0, APPROVAL_INPUT_MAX)}… (cut)` : text;
}

/** Identifies one call (tool and exact input), so the same call asked again finds its request. */
export function callKey(toolName: string, input: Record<string, unknown>): string {
  return createHash("sha256")
    .update(JSON.stringify([toolName, canonical(input)]))
    .digest("hex");
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  return value;
}
