import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FleetManager } from "@herdctl/core";
import { startWebServer, type WebServer } from "@herdctl/web";
import type { CommandContext } from "./context.js";

/**
 * The dashboard's built files, in the herdctl package's own dist/client (scripts/bundle-cli.mjs
 * copies them there from @herdctl/web), so an installed herdctl needs no @herdctl/web beside it.
 * Found by climbing to the package root, because the bundler decides which file of dist/ this
 * code lands in. The web server's own default is relative to its module, which here is the bundle.
 */
function clientDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`herdctl: no package.json above ${fileURLToPath(import.meta.url)}; reinstall herdctl`);
    dir = up;
  }
  return join(dir, "dist", "client");
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
