import type { FleetManager } from "@herdctl/core";
import { startWebServer } from "@herdctl/web";
import type { CommandContext } from "./context.js";

/** Starts the dashboard for a running fleet and prints where it is (and its token, once). */
export async function startWeb(
  ctx: CommandContext,
  fleet: FleetManager,
  where: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const web = fleet.fleet.fleet.web;
  const server = await startWebServer(fleet, {
    host: where.host,
    port: where.port,
    stateDir: fleet.state.stateDir,
    authTokenEnv: web.auth_token_env,
    log: (line) => ctx.stderr.write(`${ctx.err.dim(line)}\n`),
  });
  if (server.token) {
    ctx.stderr.write(
      `${ctx.err.yellow("dashboard token")} (shown once; also in ${fleet.state.stateDir}/web-token): ${server.token}\n`,
    );
  }
  return server;
}
