import { isApprovalId } from "../state/ids.js";

/** What a herdctl Approve or Deny button's id starts with, on every platform. */
export const BUTTON_PREFIX = "herdctl-approval";

/**
 * A clicked button's decision, from `herdctl-approval:approve|deny:<id>`. The platform hands the
 * button's data back as any client sent it, so it is read as untrusted: anything but that exact
 * shape, with a well-formed id, is undefined.
 */
export function buttonDecision(data: string): { decision: "approve" | "deny"; id: string } | undefined {
  const [prefix, decision, id, ...rest] = data.split(":");
  if (prefix !== BUTTON_PREFIX || rest.length > 0 || !isApprovalId(id)) return undefined;
  if (decision !== "approve" && decision !== "deny") return undefined;
  return { decision, id };
}

/** A decision typed in a chat: `approve <id> [reason]` or `deny <id> [reason]`. */
export interface ApprovalCommand {
  decision: "approve" | "deny";
  /** As typed: the fleet checks its shape before it is looked up. */
  id: string;
  reason?: string;
}

const COMMAND = /^\s*(approve|deny)\s+(\S+)(?:\s+([\s\S]*))?$/i;

/**
 * Reads a chat message as an approval decision, or undefined when it is not one (the message is a
 * turn like any other). A malformed id is still a command, so the sender is told, not the agent.
 */
export function parseApprovalCommand(text: string): ApprovalCommand | undefined {
  const match = COMMAND.exec(text);
  if (!match) return undefined;
  const id = match[2]!;
  // "approve of this plan" is a sentence: only something shaped like an id is a command.
  if (!/^apr-/i.test(id)) return undefined;
  const reason = match[3]?.trim();
  return {
    decision: match[1]!.toLowerCase() === "approve" ? "approve" : "deny",
    id,
    ...(reason ? { reason } : {}),
  };
}

/** A chat user who decides (or tries to), as the platform names them. */
export interface ChatDecider {
  platform: "discord" | "slack";
  /** The platform's user id. */
  id: string;
  /** The display name, as the platform gave it: cleaned before it is recorded. */
  name?: string;
}

const NAME_MAX = 80;

/** "discord user Ana (123)": one printable line, whatever the platform sent. */
export function deciderName(decider: ChatDecider): string {
  const clean = (text: string) =>
    text
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, NAME_MAX);
  const id = clean(decider.id) || "unknown";
  const name = decider.name === undefined ? "" : clean(decider.name);
  return `${decider.platform} user ${name ? `${name} (${id})` : id}`;
}
