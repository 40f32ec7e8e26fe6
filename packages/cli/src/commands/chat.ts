import type { Command } from "commander";
import type { CommandContext } from "../context.js";

// Modules are loaded inside the actions: a command line that runs no chat command should not pay
// for them at start-up.

interface ChatOptions {
  resume?: string;
  offline?: boolean;
}

export function registerChat(program: Command): void {
  program
    .command("chat")
    .description(
      "talk with an agent: streamed replies, history with the arrow keys; one message per line from a pipe",
    )
    .argument("<agent>", "agent name (qualified for sub-fleet agents, e.g. api.triager)")
    .option("-r, --resume <chat-id>", "continue this chat (ids from herdctl chats)")
    .option(
      "--offline",
      "without a daemon: use herdctl's built-in stand-in instead of Anthropic (no tokens spent)",
    )
    .action(async (agent: string, options: ChatOptions, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const { openChat } = await import("../chat/opening.js");
      const conn = await connect(ctx, options.offline === true);
      try {
        const opened = await openChat(conn, agent, options.resume);
        if (process.stdin.isTTY && process.stdout.isTTY && !ctx.json) {
          const { chatOnTerminal } = await import("../chat/interactive.js");
          await chatOnTerminal(ctx, conn, opened);
        } else {
          const { chatFromPipe } = await import("../chat/piped.js");
          if (!(await chatFromPipe(ctx, conn, opened))) process.exitCode = 1;
        }
      } finally {
        await conn.close();
      }
    });

  const chats = program
    .command("chats")
    .description("conversations with agents (herdctl chat): list, rename, remove");

  chats
    .command("list", { isDefault: true })
    .description("chats, most recently active first")
    .option("-a, --agent <name>", "only this agent's")
    .action(async (options: { agent?: string }, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const conn = await connect(ctx, false);
      try {
        const list = await conn.list({ agent: options.agent });
        if (ctx.json) {
          ctx.printJson({ chats: list });
          return;
        }
        if (list.length === 0) {
          ctx.print(
            options.agent
              ? `no chats with ${options.agent}`
              : "no chats; start one with herdctl chat <agent>",
          );
          return;
        }
        const { relativeTime, table } = await import("../output/format.js");
        const { visible } = await import("../output/terminal-text.js");
        ctx.print(
          table(
            ["ID", "AGENT", "TITLE", "TURNS", "ACTIVE"],
            list.map((c) => [
              c.id,
              ctx.out.cyan(c.agent),
              visible(oneLine(c.title)),
              String(c.turns),
              c.runningJobId ? ctx.out.cyan("replying") : relativeTime(c.lastActiveAt),
            ]),
          ),
        );
      } finally {
        await conn.close();
      }
    });

  chats
    .command("rename")
    .description("give a chat a new title")
    .argument("<id>", "chat id (from herdctl chats)")
    .argument("<title...>", "the new title")
    .action(async (id: string, words: string[], _options: unknown, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const title = words.join(" ").trim();
      if (title === "") {
        const { UsageError } = await import("../errors.js");
        throw new UsageError("the title is empty; give the chat a title with some text in it");
      }
      const conn = await connect(ctx, false);
      const { unknownChat } = await import("../chat/opening.js");
      try {
        const chat = await conn.rename(id, title).catch((error) => {
          throw unknownChat(error, id);
        });
        if (ctx.json) ctx.printJson({ chat });
        else ctx.print(`chat ${chat.id} is now "${oneLine(chat.title)}"`);
      } finally {
        await conn.close();
      }
    });

  chats
    .command("rm")
    .description("delete a chat and its messages (a reply in progress is stopped first)")
    .argument("<id>", "chat id (from herdctl chats)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const conn = await connect(ctx, false);
      const { unknownChat } = await import("../chat/opening.js");
      try {
        await conn.remove(id).catch((error) => {
          throw unknownChat(error, id);
        });
        if (ctx.json) ctx.printJson({ deleted: id });
        else ctx.print(`chat ${id} deleted`);
      } finally {
        await conn.close();
      }
    });
}

/** The daemon's chats when one runs, else a fleet in this process. */
async function connect(ctx: CommandContext, offline: boolean) {
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx);
  if (client) {
    if (offline) ctx.warn("a daemon is running; it decides whether chats run offline (ignoring --offline)");
    const { DaemonChat } = await import("../chat/daemon-chat.js");
    return new DaemonChat(client);
  }
  const { LocalChat } = await import("../chat/local-chat.js");
  return LocalChat.open(ctx, { offline });
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
