import { describeApproval } from "../../approvals/index.js";
import type { ApprovalRecord } from "../../state/index.js";

/** How much of the call's input a chat message shows; the full summary is in `herdctl approvals`. */
const INPUT_SHOWN = 800;

/** A code span a chat renders as such, whatever the text holds. */
function code(text: string): string {
  return `\`${text.replaceAll("`", "'").replace(/\s+/g, " ")}\``;
}

/**
 * The request as posted in the chat the turn came from: what waits, until when, and how to answer
 * (the buttons where the platform has them, a typed reply everywhere).
 */
export function approvalPrompt(record: ApprovalRecord, buttons: boolean): string {
  const input =
    record.input.length > INPUT_SHOWN ? `${record.input.slice(0, INPUT_SHOWN)}… (cut)` : record.input;
  const then = record.onTimeout === "allow" ? "allowed" : "denied";
  return [
    `The agent wants to run ${record.tool} and waits for approval ${code(record.id)}:`,
    code(input),
    `${buttons ? "Use the buttons, or reply" : "Reply"} ${code(`approve ${record.id} [reason]`)} or ${code(`deny ${record.id} [reason]`)}. Without an answer by ${record.expiresAt} it is ${then}.`,
  ].join("\n");
}

/** The request's message once decided, wherever it was decided. */
export function approvalOutcome(record: ApprovalRecord): string {
  return `${record.tool} ${code(record.id)}: ${describeApproval(record).slice(`${record.tool} ${record.id} `.length)}`;
}
