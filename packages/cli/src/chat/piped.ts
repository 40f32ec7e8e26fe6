import { createInterface } from "node:readline";
import type { JobRecord } from "@herdctl/core";
import type { CommandContext } from "../context.js";
import { visible } from "../output/terminal-text.js";
import type { ChatConnection } from "./connection.js";
import { type OpenedChat, resumeHint } from "./opening.js";

/** One line of `chat --json` on a pipe: how one turn ended and what the agent replied. */
interface TurnLine {
  chat: string;
  job: string;
  status: JobRecord["status"];
  reply: string | null;
  error: string | null;
  costUsd: number | null;
  durationMs: number | null;
}

/**
 * A scripted chat: each line of standard input is one message, sent once the previous reply has
 * ended; each reply is printed (its text, or a JSON line with --json). A turn that does not
 * complete stops the chat, since the lines after it were written expecting its answer; resolves
 * false then.
 */
export async function chatFromPipe(
  ctx: CommandContext,
  conn: ChatConnection,
  opened: OpenedChat,
): Promise<boolean> {
  const { chat } = opened;
  ctx.stderr.write(ctx.err.dim(`chat ${chat.id} with ${chat.agent} (${conn.where})\n`));
  const leaving = new AbortController();
  let interrupted = false;
  let running = false;
  const onSigint = () => {
    if (interrupted || !running) {
      leaving.abort();
      return;
    }
    interrupted = true;
    ctx.stderr.write(`\n${ctx.err.yellow("interrupting the reply; the lines after it will not be sent")}\n`);
    void conn.interrupt(chat.id).catch(() => {});
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  const input = createInterface({
    input: process.stdin,
    crlfDelay: Number.POSITIVE_INFINITY,
    terminal: false,
  });
  leaving.signal.addEventListener("abort", () => input.close(), { once: true });
  let sent = 0;
  let ok = true;
  try {
    for await (const line of input) {
      if (line.trim() === "") continue;
      sent += 1;
      running = true;
      const { job } = await conn.send(chat.id, line, () => {}, leaving.signal);
      running = false;
      if (leaving.signal.aborted) break;
      printTurn(ctx, chat.id, job);
      if (job.status !== "completed" || interrupted) {
        const why = job.error ? `: ${visible(job.error)}` : "";
        ctx.stderr.write(
          `herdctl: message ${sent} (job ${job.id}) ${job.status}${why}; the lines after it were not sent\n`,
        );
        ok = false;
        break;
      }
    }
    // Left with Ctrl-C: the script did not finish.
    if (leaving.signal.aborted) ok = false;
  } finally {
    input.close();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  if (sent === 0 && !opened.resumed) {
    await conn.remove(chat.id).catch(() => {});
    ctx.stderr.write("herdctl: no message on standard input (one message per line); nothing was sent\n");
    return false;
  }
  ctx.stderr.write(ctx.err.dim(`${resumeHint(chat)}\n`));
  return ok;
}

function printTurn(ctx: CommandContext, chatId: string, job: JobRecord): void {
  if (ctx.json) {
    const line: TurnLine = {
      chat: chatId,
      job: job.id,
      status: job.status,
      reply: job.summary,
      error: job.error,
      costUsd: job.costUsd,
      durationMs: job.durationMs,
    };
    ctx.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  if (job.status !== "completed" || job.summary === null) return;
  // Raw into a pipe (a script wants the model's exact text); made safe on a terminal.
  ctx.print(ctx.stdout.isTTY ? visible(job.summary) : job.summary);
}
