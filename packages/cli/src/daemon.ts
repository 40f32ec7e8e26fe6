import { ControlClient, StateManager } from "@herdctl/core/essentials";
import type { CommandContext } from "./context.js";

/** Where the daemon of this fleet's state directory listens (the state store owns the layout). */
export function socketPath(ctx: CommandContext): string {
  return new StateManager(ctx.stateDir()).socketPath;
}

/** The running daemon's control client for this fleet's state directory, if one is running. */
export function daemonClient(ctx: CommandContext): Promise<ControlClient | undefined> {
  return ControlClient.connect(socketPath(ctx));
}
