import { type RecordedRequest, type Responder, type Turn, textReply } from "@herdctl/standin";

/** Human texts of every user message of a request, oldest first: the conversation claude sent. */
export function userTexts(request: RecordedRequest): string[] {
  return request.messages
    .filter((m) => m.role === "user")
    .flatMap((m) => (typeof m.content === "string" ? [m.content] : m.content))
    .flatMap((b) =>
      typeof b === "string" ? [b] : b.type === "text" && typeof b.text === "string" ? [b.text] : [],
    )
    .filter((t) => !t.startsWith("<system-reminder>"));
}

/**
 * Answers from the conversation's history, so a test can tell a continued session from a fresh
 * one: "remember X" is answered "noted X"; "what did I say?" is answered with the last X the
 * history holds, or "nothing to recall". `slow` delays the reply to a message containing it.
 */
export function memoryResponder(
  options: { delayMs?: (text: string) => number; extra?: (req: RecordedRequest) => Turn | undefined } = {},
): Responder {
  return (req) => {
    const special = options.extra?.(req);
    if (special) return special;
    const texts = userTexts(req);
    const last = req.lastUserText?.trim() ?? "";
    const delayMs = options.delayMs?.(last) ?? 0;
    const told = /remember (\w+)/.exec(last);
    if (told) return textReply(`noted ${told[1]}`, { delayMs });
    const earlier = texts
      .slice(0, -1)
      .map((t) => /remember (\w+)/.exec(t)?.[1])
      .filter((w): w is string => w !== undefined);
    return textReply(earlier.length ? `you said ${earlier.at(-1)}` : "nothing to recall", { delayMs });
  };
}
