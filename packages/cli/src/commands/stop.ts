import { existsSync } from "node:fs";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { daemonClient, socketPath } from "../daemon.js";
import { CliError, UsageError } from "../errors.js";

export function registerStop(program: Command): void {
  program
    .command("stop")
    .description("stop the running fleet gracefully")
    .option("-t, --timeout <seconds>", "how long running jobs may finish before they are cancelled", "30")
    .option("--force", "cancel running jobs at once")
    .action(async (options: { timeout: string; force?: boolean }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const seconds = Number(options.timeout);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw new UsageError(`--timeout: "${options.timeout}" is not a number of seconds`);
      const client = await daemonClient(ctx);
      if (!client) throw new CliError(`no herdctl daemon is running for ${ctx.stateDir()}`);
      const timeoutMs = options.force ? 0 : Math.round(seconds * 1000);
      const answer = await client.call<{ pid: number }>("POST", "/api/fleet/stop", { timeoutMs });
      if (!ctx.json) ctx.stderr.write(ctx.err.dim(`stopping daemon ${answer.pid}…\n`));
      // The daemon removes its socket last; wait for that (a little longer than the job timeout).
      const socket = socketPath(ctx);
      const deadline = Date.now() + timeoutMs + 30_000;
      while (existsSync(socket) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (existsSync(socket))
        throw new CliError(`daemon ${answer.pid} is still stopping; check it with "herdctl status"`);
      if (ctx.json) ctx.printJson({ stopped: true, pid: answer.pid });
      else ctx.print(`${ctx.out.green("stopped")} daemon ${answer.pid}`);
    });
}
