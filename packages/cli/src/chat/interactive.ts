import { createInterface } from "node:readline";
import type { ChatRecord } from "@herdctl/core";
import { ControlError } from "@herdctl/core/internal/control/control-error";
import { FleetError } from "@herdctl/core/internal/fleet-manager/errors";
import type { CommandContext } from "../context.js";
import { toolCallLine } from "../output/job-render.js";
import { visible } from "../output/terminal-text.js";
import type { ChatConnection } from "./connection.js";
import { type OpenedChat, resumeHint } from "./opening.js";
import { TurnView } from "./turn-view.js";

const HELP = [
  "/new   start a new chat with the same agent (this one is kept)",
  "/exit  leave (Ctrl-D too); the chat is kept and can be resumed",
  "/help  this list",
  "Ctrl-C interrupts a reply; a second Ctrl-C, or one at the prompt, leaves.",
  "Up and Down recall earlier messages. A message typed during a reply is sent after it.",
];

/** How many of a resumed chat's last messages are shown again, for context. */
const RECAP_MESSAGES = 6;
const RECAP_CHARS = 300;

/**
 * The conversation on a terminal: a prompt with history, each reply streamed as it comes, and the
 * commands of HELP. Resolves when the user leaves.
 */
export async function chatOnTerminal(
  ctx: CommandContext,
  conn: ChatConnection,
  opened: OpenedChat,
): Promise<void> {
  let chat = opened.chat;
  const { out } = ctx;
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    // readline wants the newest first.
    history: opened.messages
      .filter((m) => m.role === "user")
      .map((m) => m.text.replace(/\n/g, " "))
      .reverse(),
    historySize: 1000,
    removeHistoryDuplicates: true,
    prompt: `${out.bold(out.green("you›"))} `,
  });
  const queued: string[] = [];
  let busy = false;
  let interrupting = false;
  let sentHere = opened.messages.length > 0;
  const leaving = new AbortController();
  let leave!: () => void;
  const left = new Promise<void>((resolve) => (leave = resolve));

  const introduce = (c: ChatRecord, how: "new" | "resumed") => {
    ctx.print(out.bold(`chat ${c.id} with ${c.agent}`) + out.dim(` (${how}, ${conn.where})`));
    ctx.print(out.dim("/help for commands; Ctrl-C interrupts a reply, Ctrl-C at the prompt leaves"));
  };

  let view: TurnView | undefined;
  const send = async (text: string) => {
    busy = true;
    interrupting = false;
    sentHere = true;
    const shown = new TurnView(ctx, chat.agent);
    view = shown;
    shown.begin();
    try {
      const turn = await conn.send(chat.id, text, (m) => shown.message(m), leaving.signal);
      if (leaving.signal.aborted) return;
      chat = turn.chat;
      shown.end(turn.job);
    } catch (error) {
      shown.stop();
      if (leaving.signal.aborted) return;
      ctx.print(out.red(`herdctl: ${visible(error instanceof Error ? error.message : String(error))}`));
      // A refused message (too long, say, or a full queue) leaves the chat open; losing the
      // daemon, or a bug, ends it.
      if (!refused(error)) {
        process.exitCode = 1;
        quit();
        return;
      }
    } finally {
      busy = false;
    }
    const next = queued.shift();
    if (next === undefined) {
      rl.prompt();
      return;
    }
    ctx.print(`${out.dim("you›")} ${visible(next)}`);
    void send(next);
  };

  const quit = () => {
    if (leaving.signal.aborted) return;
    view?.stop();
    leaving.abort();
    rl.close();
    leave();
  };

  const command = async (name: string): Promise<void> => {
    switch (name) {
      case "/exit":
      case "/quit":
        quit();
        return;
      case "/help":
        for (const line of HELP) ctx.print(out.dim(line));
        break;
      case "/new":
        await forgetIfUnused(conn, chat, sentHere);
        if (sentHere) ctx.print(out.dim(resumeHint(chat)));
        chat = await conn.create(chat.agent);
        sentHere = false;
        introduce(chat, "new");
        break;
      default:
        ctx.print(out.yellow(`no command ${name}; /help lists them`));
    }
    rl.prompt();
  };

  rl.on("line", (line) => {
    const text = line.trim();
    if (busy) {
      if (text === "/exit" || text === "/quit") {
        void conn.interrupt(chat.id).catch(() => {});
        quit();
      } else if (text) {
        queued.push(line);
        view?.note(out.dim("· queued: sent when this reply ends"));
      }
      return;
    }
    if (!text) rl.prompt();
    else if (/^\/[a-z]+$/.test(text)) command(text).catch((error) => failedCommand(error));
    else void send(line);
  });
  const failedCommand = (error: unknown) => {
    ctx.print(out.red(`herdctl: ${visible(error instanceof Error ? error.message : String(error))}`));
    rl.prompt();
  };
  rl.on("SIGINT", () => {
    if (!busy || interrupting) {
      // Off the prompt's line, or the spinner's, before saying goodbye.
      view?.stop();
      ctx.print(busy ? out.yellow("· leaving; the reply is being stopped") : "");
      quit();
      return;
    }
    interrupting = true;
    queued.length = 0;
    view?.note(out.yellow("· interrupting the reply… (Ctrl-C again leaves)"));
    conn.interrupt(chat.id).catch((error) => ctx.warn(`could not interrupt: ${(error as Error).message}`));
  });
  // Ctrl-D, or the terminal went away; a close of our own comes after quit() has run.
  rl.on("close", () => {
    if (leaving.signal.aborted) return;
    ctx.print();
    quit();
  });
  process.once("SIGTERM", quit);

  introduce(chat, opened.resumed ? "resumed" : "new");
  if (opened.resumed) recap(ctx, opened);
  rl.prompt();
  await left;
  process.off("SIGTERM", quit);
  await forgetIfUnused(conn, chat, sentHere);
  if (sentHere) ctx.print(out.dim(resumeHint(chat)));
}

function refused(error: unknown): boolean {
  return (error instanceof ControlError && error.status >= 400) || error instanceof FleetError;
}

function recap(ctx: CommandContext, opened: OpenedChat): void {
  const { out } = ctx;
  const last = opened.messages.slice(-RECAP_MESSAGES);
  if (opened.messages.length > last.length)
    ctx.print(out.dim(`… ${opened.messages.length - last.length} earlier messages`));
  for (const m of last) {
    const who = m.role === "user" ? out.green("you›") : out.cyan(`${opened.chat.agent}›`);
    const text = m.text.length > RECAP_CHARS ? `${m.text.slice(0, RECAP_CHARS - 1)}…` : m.text;
    if (text.trim()) ctx.print(`${who} ${out.dim(visible(text))}`);
    for (const call of m.toolCalls) ctx.print(`${who} ${toolCallLine(call.name, call.input, out)}`);
  }
  if (opened.chat.expired)
    ctx.print(
      out.yellow(
        "· this chat was idle past the session expiry: your next message starts a new claude session (the history above stays here)",
      ),
    );
}

/** A chat opened here and left without a message would only clutter `herdctl chats`. */
async function forgetIfUnused(conn: ChatConnection, chat: ChatRecord, used: boolean): Promise<void> {
  if (!used) await conn.remove(chat.id).catch(() => {});
}
