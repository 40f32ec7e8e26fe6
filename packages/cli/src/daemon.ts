import { existsSync } from "node:fs";
import type { ControlClient } from "@herdctl/core/internal/control/client";
import { socketPathIn } from "@herdctl/core/internal/state/socket-path";
import type { CommandContext } from "./context.js";

/** Where the daemon of this fleet's state directory listens (the state store owns the layout). */
export function socketPath(ctx: CommandContext): string {
  return socketPathIn(ctx.stateDir());
}

/** The running daemon's control client for this fleet's state directory, if one is running. */
export async function daemonClient(ctx: CommandContext): Promise<ControlClient | undefined> {
  const found = await clientClass(ctx);
  return found?.ControlClient.connect(found.socket);
}

/**
 * One request to this fleet's daemon, if one runs: its answer, else undefined (no daemon). One
 * round trip where `daemonClient` then a call make two.
 */
export async function askDaemon<T>(ctx: CommandContext, path: string): Promise<{ answer: T } | undefined> {
  const found = await clientClass(ctx);
  return found?.ControlClient.ask<T>(found.socket, "GET", path);
}

// Only commands that ask for the daemon load the client (and node:http with it), and only when a
// socket file says a daemon may be there.
async function clientClass(
  ctx: CommandContext,
): Promise<{ socket: string; ControlClient: typeof ControlClient } | undefined> {
  const socket = socketPath(ctx);
  // No socket file, no daemon: said without loading the client.
  if (!existsSync(socket)) return undefined;
  const { ControlClient } = await import("@herdctl/core/internal/control/client");
  return { socket, ControlClient };
}
