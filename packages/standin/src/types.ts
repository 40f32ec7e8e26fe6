import type { RecordedRequest } from "./recorder.js";

/** Token counts reported in message_start / message_delta. Missing numbers are estimated. */
export interface TurnUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

interface Pacing {
  /** Wait this long before the first byte of the reply (headers included). */
  delayMs?: number;
  /** Split each text / tool input into this many deltas (default 1). */
  chunks?: number;
  /** Pause between deltas, to make streams observable (default 0). */
  chunkDelayMs?: number;
}

export interface TextTurn extends Pacing {
  kind: "text";
  text: string;
  usage?: TurnUsage;
  stopReason?: "end_turn" | "max_tokens" | "stop_sequence";
}

export interface ToolUseTurn extends Pacing {
  kind: "tool_use";
  name: string;
  input: Record<string, unknown>;
  /** Defaults to a fresh `toolu_standin_<n>` id. */
  id?: string;
  /** Optional text block streamed before the tool_use block. */
  text?: string;
  usage?: TurnUsage;
}

export interface ErrorTurn {
  kind: "error";
  status: number;
  message?: string;
  /** Seconds for the retry-after header; only sent when set (429 sets 0 by default). */
  retryAfterSeconds?: number;
  /** Sets `x-should-retry`, which the Anthropic SDK obeys before its own backoff. */
  shouldRetry?: boolean;
  delayMs?: number;
}

export interface DropTurn {
  kind: "drop";
  /** Text streamed (as one delta) before the socket is destroyed. */
  partialText?: string;
  delayMs?: number;
}

export interface HangTurn {
  kind: "hang";
}

export interface MalformedTurn {
  kind: "malformed";
  delayMs?: number;
}

export type Turn = TextTurn | ToolUseTurn | ErrorTurn | DropTurn | HangTurn | MalformedTurn;

/** Turns that fail the HTTP attempt; a client retry asks again for the same position. */
export type FaultTurn = ErrorTurn | DropTurn | HangTurn | MalformedTurn;

export interface ResponderContext {
  /** Assistant messages already in the conversation (0 for a fresh prompt). */
  assistantTurns: number;
  /** Stable id of the conversation, derived from its first user message. */
  conversationKey: string;
  /** Fault turns already served to this conversation at this assistant-turn position. */
  faultsAtPosition: number;
  /** Fault turns already served to this conversation in total. */
  faultsInConversation: number;
}

export type Responder = (req: RecordedRequest, ctx: ResponderContext) => Turn | Promise<Turn>;

export function isFault(turn: Turn): turn is FaultTurn {
  return turn.kind === "error" || turn.kind === "drop" || turn.kind === "hang" || turn.kind === "malformed";
}
