import type {
  DropTurn,
  ErrorTurn,
  HangTurn,
  MalformedTurn,
  Responder,
  TextTurn,
  ToolUseTurn,
  Turn,
} from "./types.js";

export function textReply(text: string, extra: Omit<TextTurn, "kind" | "text"> = {}): TextTurn {
  return { kind: "text", text, ...extra };
}

export function toolUse(
  name: string,
  input: Record<string, unknown>,
  extra: Omit<ToolUseTurn, "kind" | "name" | "input"> = {},
): ToolUseTurn {
  return { kind: "tool_use", name, input, ...extra };
}

/** Claude Code's Write tool; `path` is used as given (Claude Code resolves it against its cwd). */
export function writeFile(
  path: string,
  content: string,
  extra: Omit<ToolUseTurn, "kind" | "name" | "input"> = {},
) {
  return toolUse("Write", { file_path: path, content }, extra);
}

export function bash(command: string, extra: Omit<ToolUseTurn, "kind" | "name" | "input"> = {}) {
  return toolUse("Bash", { command, description: "Run a command scripted by the herdctl stand-in" }, extra);
}

/** Claude Code's ScheduleWakeup tool: "wake me in `delaySeconds` and tell me `prompt`". */
export function scheduleWakeup(
  delaySeconds: number,
  prompt: string,
  extra: Omit<ToolUseTurn, "kind" | "name" | "input"> = {},
) {
  return toolUse(
    "ScheduleWakeup",
    { delaySeconds, reason: "scripted by the herdctl stand-in", prompt, noop: false },
    extra,
  );
}

export function errorReply(
  status: number,
  message?: string,
  extra: Omit<ErrorTurn, "kind" | "status" | "message"> = {},
): ErrorTurn {
  return { kind: "error", status, ...(message === undefined ? {} : { message }), ...extra };
}

export function dropConnection(partialText?: string): DropTurn {
  return partialText === undefined ? { kind: "drop" } : { kind: "drop", partialText };
}

export function hang(): HangTurn {
  return { kind: "hang" };
}

export function malformed(): MalformedTurn {
  return { kind: "malformed" };
}

/** What a script answers once its turns are used up. */
export const SCRIPT_EXHAUSTED_TEXT = "The herdctl stand-in script has no more turns.";

/**
 * A responder that plays `turns` in order. The position is the number of assistant messages
 * already in the conversation plus the faults served to it so far: a resumed conversation
 * continues where it stopped, and a client retrying after an error / drop / hang / malformed
 * reply gets the next turn instead of the same fault forever. After the last turn it answers
 * with SCRIPT_EXHAUSTED_TEXT.
 */
export function script(turns: Turn[]): Responder {
  return (_req, ctx) => {
    const turn = turns[ctx.assistantTurns + ctx.faultsInConversation];
    return turn ?? textReply(SCRIPT_EXHAUSTED_TEXT);
  };
}

/** The same turn for every main request. */
export function always(turn: Turn): Responder {
  return () => turn;
}
