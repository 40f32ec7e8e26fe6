import { chmodSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { localUserActor } from "../audit/actor.js";
import type { FleetManager } from "../fleet-manager/fleet-manager.js";
import { type ApiOptions, createApi } from "./api.js";

/**
 * Serves the control API on `.herdctl/herdctl.sock`, readable and writable by the owner only.
 * Only the daemon holding the state lock calls this, so a socket file found here is stale.
 */
export async function serveControlSocket(
  fleet: FleetManager,
  socketPath: string,
  options: Pick<ApiOptions, "dashboardLink"> = {},
): Promise<{ close(): Promise<void> }> {
  rmSync(socketPath, { force: true });
  // The socket admits only the daemon's own user (mode 0600), so that user is who every request is.
  const app = createApi(fleet, { ...options, daemonControl: true, actor: localUserActor() });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => {
          rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}
