import { accessSync, constants } from "node:fs";
import type { DashboardLink } from "@herdctl/core/internal";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { daemonClient, socketPath } from "../daemon.js";
import { CliError } from "../errors.js";

/**
 * The program that opens a URL in the user's browser, when there is a screen to open it on.
 * A server over ssh has none, and its operator wants the link printed, not a text browser.
 */
function browserOpener(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform === "darwin") return "open";
  if (process.platform === "linux" && (env.DISPLAY || env.WAYLAND_DISPLAY)) return "xdg-open";
  return undefined;
}

/** Says plainly when the socket is there but not ours, rather than "no daemon is running". */
function refuseOtherUsers(socket: string): void {
  try {
    accessSync(socket, constants.R_OK | constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EACCES") return;
    throw new CliError(
      `the daemon's control socket ${socket} belongs to another user; only that user may open the dashboard, so run herdctl dashboard as them`,
    );
  }
}

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description("print a one-time login link for the running fleet's dashboard, and open it")
    .option("--no-open", "only print the link")
    .action(async (options: { open: boolean }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      // The daemon mints the link over its owner-only socket: whoever can use the socket may log in.
      refuseOtherUsers(socketPath(ctx));
      const client = await daemonClient(ctx);
      if (!client)
        throw new CliError(
          `no herdctl daemon is running for ${ctx.stateDir()}; start one with herdctl start --web`,
        );
      const link = await client.call<DashboardLink>("POST", "/api/dashboard/link");
      if (ctx.json) ctx.printJson(link);
      else {
        ctx.print(link.url);
        const until = new Date(link.expiresAt).toLocaleTimeString();
        ctx.stderr.write(ctx.err.dim(`one-time login link, valid until ${until}\n`));
      }
      const opener = options.open ? browserOpener(process.env) : undefined;
      if (!opener) return;
      // The URL is one argument to the opener; no shell sees it.
      // node:child_process is loaded only here: every command pays for what command modules import.
      const { spawn } = await import("node:child_process");
      const child = spawn(opener, [link.url], { detached: true, stdio: "ignore" });
      child.on("error", () => ctx.warn(`could not run ${opener}; open the link above yourself`));
      child.unref();
    });
}
