import type { RecordedRequest } from "./recorder.js";

/**
 * Whether a request belongs to the scripted conversation ("main") or is one of the helper
 * calls Claude Code makes on its own ("side"). Side requests get a canned reply and never
 * consume scripted turns, so a script stays stable when Claude Code adds background calls.
 *
 * Observed with claude 2.1.332 (`-p` and the Agent SDK): with
 * CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 only conversation requests arrive
 * (`POST /v1/messages?beta=true`, streaming, with tools); without it, one `HEAD /api/hello`
 * connectivity check comes first. The helper prompts below are the ones the binary carries
 * for title / name / tool-summary generation and one-token quota probes; they were not seen
 * in `-p` runs, so they are matched defensively by their exact wording.
 */
export type RequestClass = { kind: "main" } | { kind: "side"; reason: SideReason };

export type SideReason =
  | "connectivity-check"
  | "count-tokens"
  | "unknown-route"
  | "quota-probe"
  | "session-title"
  | "session-name"
  | "tool-summary";

type Classifiable = Pick<RecordedRequest, "method" | "pathname" | "body" | "systemText">;

const HELPER_PROMPTS: ReadonlyArray<[string, SideReason]> = [
  ['Return JSON with a single "title" field.', "session-title"],
  ["Generate a short kebab-case name (2-4 words) that captures the main topic", "session-name"],
  ["Write a short summary label describing what these tool calls accomplished.", "tool-summary"],
];

export function classifyRequest(req: Classifiable): RequestClass {
  const path = req.pathname;
  if (path === "/api/hello") return side("connectivity-check");
  if (path === "/v1/messages/count_tokens") return side("count-tokens");
  if (path !== "/v1/messages" || req.method !== "POST") return side("unknown-route");
  // Quota checks and model validation ask for a single token.
  if (req.body?.["max_tokens"] === 1) return side("quota-probe");
  const system = req.systemText;
  for (const [marker, reason] of HELPER_PROMPTS) {
    if (system.includes(marker)) return side(reason);
  }
  return { kind: "main" };
}

function side(reason: SideReason): RequestClass {
  return { kind: "side", reason };
}
