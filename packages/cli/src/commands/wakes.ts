import type { WakeRecord } from "@herdctl/core/internal";
import type { Command } from "commander";

// Modules are loaded inside the actions: a command line that runs no wake command should not pay
// for them at start-up.

export function registerWakes(program: Command): void {
  const wakes = program
    .command("wakes")
    .description("wakes agents scheduled for themselves (claude's ScheduleWakeup, CronCreate): list, cancel");

  wakes
    .command("list", { isDefault: true })
    .description("pending wakes, soonest first")
    .option("-a, --agent <name>", "only this agent's")
    .action(async (options: { agent?: string }, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const list = await pendingWakes(ctx, options.agent);
      if (ctx.json) {
        ctx.printJson({ wakes: list });
        return;
      }
      if (list.length === 0) {
        ctx.print("no pending wakes");
        return;
      }
      const { relativeAndLocal, table } = await import("../output/format.js");
      const { visible } = await import("../output/terminal-text.js");
      ctx.print(
        table(
          ["ID", "AGENT", "WHEN", "NEXT", "PROMPT"],
          list.map((w) => [
            w.id,
            ctx.out.cyan(w.agent),
            w.kind === "cron" ? `cron ${visible(w.cron ?? "")} (${w.timezone})` : "once",
            relativeAndLocal(w.nextFireAt),
            visible(oneLine(w.prompt)),
          ]),
        ),
      );
    });

  wakes
    .command("cancel")
    .description("cancel a pending wake")
    .argument("<id>", "wake id (from herdctl wakes list)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const { daemonClient } = await import("../daemon.js");
      const { CliError } = await import("../errors.js");
      const { ControlError, isWakeId } = await import("@herdctl/core/essentials");
      const ctx = new CommandContext(command.optsWithGlobals());
      if (!isWakeId(id))
        throw new CliError(
          `"${id}" is not a wake id (wake-YYYYMMDDHHMMSS-xxxxxx); see herdctl wakes list`,
          2,
        );
      const client = await daemonClient(ctx);
      let wake: WakeRecord;
      if (client) {
        try {
          wake = (await client.call<{ wake: WakeRecord }>("DELETE", `/api/wakes/${id}`)).wake;
        } catch (error) {
          if (error instanceof ControlError) throw new CliError(error.message);
          throw error;
        }
      } else {
        // No daemon is firing wakes, so the state store is the whole story.
        const state = await ctx.openState();
        try {
          if (!state.wakes.end(id, "cancelled"))
            throw new CliError(`no pending wake "${id}"; herdctl wakes list shows the pending ones`);
          wake = state.wakes.require(id);
          const { localUserActor } = await import("@herdctl/core/essentials");
          state.audit.append({
            action: "wake.cancel",
            ...localUserActor(),
            target: id,
            detail: { agent: wake.agent },
          });
        } finally {
          state.close();
        }
      }
      if (ctx.json) ctx.printJson({ wake });
      else ctx.print(`wake ${wake.id} of ${wake.agent} cancelled`);
    });
}

async function pendingWakes(
  ctx: InstanceType<typeof import("../context.js").CommandContext>,
  agent: string | undefined,
): Promise<WakeRecord[]> {
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx);
  if (client) {
    const query = agent === undefined ? "" : `?agent=${encodeURIComponent(agent)}`;
    return (await client.call<{ wakes: WakeRecord[] }>("GET", `/api/wakes${query}`)).wakes;
  }
  const state = await ctx.openState();
  try {
    return state.wakes.pending(agent === undefined ? {} : { agent });
  } finally {
    state.close();
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
