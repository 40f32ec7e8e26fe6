import type { DiscordChatConfig } from "../../config/chat-schema.js";
import type { ApprovalRecord } from "../../state/index.js";
import { splitMessage } from "../connectors/split.js";
import type { TurnEvent } from "../connectors/turn-runner.js";

/** Discord refuses longer messages. */
export const DISCORD_LIMIT = 2000;
/** Discord shows "typing" for about 10 s after each request: refreshed before it lapses. */
export const TYPING_REFRESH_MS = 8000;
/** The progress message lists this many of the latest tools. */
const TOOLS_SHOWN = 8;

/** Where a turn's reply goes: the channel (or thread, or DM) the message came from. */
export interface ReplyTarget {
  typing(): Promise<unknown>;
  /** Posts a message; the first of a turn answers the user's message. */
  post(text: string, answering: boolean): Promise<{ edit(text: string): Promise<unknown> }>;
  /** Posts an approval request with its buttons; `settle` shows the decision and takes them away. */
  ask(record: ApprovalRecord): Promise<{ settle(record: ApprovalRecord): Promise<unknown> }>;
}

function seconds(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * Posts one turn as it happens: typing while the agent works (however long it is silent), a
 * progress message edited as tools are used, then the answer split into Discord-sized messages,
 * code blocks whole. `assistant_messages: all` posts each message as it is written.
 */
export async function postTurn(
  events: AsyncIterable<TurnEvent>,
  target: ReplyTarget,
  output: DiscordChatConfig["output"],
  log: (line: string) => void,
): Promise<TurnEvent | undefined> {
  let answered = false;
  const post = async (text: string) => {
    for (const chunk of splitMessage(text, DISCORD_LIMIT)) {
      await target.post(chunk, !answered);
      answered = true;
    }
  };
  const failed = (what: string) => (error: unknown) =>
    log(`discord: could not ${what}: ${(error as Error).message}`);
  const typing = () => void target.typing().catch(failed("show typing"));
  let timer: NodeJS.Timeout | undefined;
  if (output.typing_indicator) {
    typing();
    timer = setInterval(typing, TYPING_REFRESH_MS);
  }
  let pending: string[] = [];
  const tools: string[] = [];
  let progress: Promise<{ edit(text: string): Promise<unknown> } | undefined> | undefined;
  let last: TurnEvent | undefined;
  const asked = new Map<string, ReturnType<ReplyTarget["ask"]>>();
  try {
    for await (const event of events) {
      last = event;
      if (event.type === "text") {
        if (output.assistant_messages === "all") await post(event.text).catch(failed("post a message"));
        else pending.push(event.text);
      } else if (event.type === "tool") {
        // What came before a tool call was the agent thinking aloud; the answer comes after.
        pending = [];
        if (!output.tool_results) continue;
        tools.push(event.summary);
        const text = `Working… ${tools
          .slice(-TOOLS_SHOWN)
          .map((t) => `\`${t.replaceAll("`", "'")}\``)
          .join(" · ")}`.slice(0, DISCORD_LIMIT);
        const previous = progress;
        progress = (async () => {
          const message = await previous;
          if (message) {
            await message.edit(text);
            return message;
          }
          return target.post(text, false);
        })().catch((error) => {
          failed("show progress")(error);
          return undefined;
        });
      } else if (event.type === "approval") {
        const posted = target.ask(event.approval);
        posted.catch(failed("post an approval request"));
        asked.set(event.approval.id, posted);
      } else if (event.type === "approval_decided") {
        const posted = await asked.get(event.approval.id)?.catch(() => undefined);
        await posted?.settle(event.approval).catch(failed("show an approval's decision"));
      } else if (event.type === "done") {
        let text = pending.join("\n\n").trim();
        if (text === "" && output.assistant_messages !== "all")
          text = "(The agent finished without writing a reply.)";
        if (output.result_summary) {
          const parts = [
            event.durationMs === null ? null : seconds(event.durationMs),
            event.costUsd === null ? null : `$${event.costUsd.toFixed(4)}`,
          ].filter(Boolean);
          if (parts.length) text = `${text}\n\n-# ${parts.join(" · ")}`.trim();
        }
        await progress;
        if (text) await post(text).catch(failed("post the answer"));
      } else if (event.type === "error") {
        await progress;
        if (output.errors) await post(event.message).catch(failed("post the error"));
      }
    }
  } finally {
    if (timer) clearInterval(timer);
  }
  return last;
}
