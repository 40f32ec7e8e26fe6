import { fileURLToPath } from "node:url";
import type { FleetManager } from "@herdctl/core";
import { startWebServer, type WebServer } from "@herdctl/web";
import type { CommandContext } from "./context.js";

/**
 * The dashboard's built files, in @herdctl/web's dist/client. The web server's own default is
 * relative to its module's URL, which in the bundled CLI is the bundle's, so it is given here.
 */
function clientDir(): string {
  return fileURLToPath(new URL("../client/", import.meta.resolve("@herdctl/web")));
}

/** Starts the dashboard for a running fleet; the caller prints where it is and a login link. */
export async function startWeb(
  ctx: CommandContext,
  fleet: FleetManager,
  where: { host: string; port: number },
): Promise<WebServer> {
  const web = fleet.fleet.fleet.web;
  return startWebServer(fleet, {
    host: where.host,
    port: where.port,
    stateDir: fleet.state.stateDir,
    clientDir: clientDir(),
    authTokenEnv: web.auth_token_env,
    // The token variable is looked up like every *_env name: the environment, then .env.
    env: { ...fleet.fleet.dotEnv, ...process.env },
    log: (line) => ctx.stderr.write(`${ctx.err.dim(line)}\n`),
  });
}
