import { ControlClient } from "@herdctl/core";
import type { CommandContext } from "./context.js";

/** The running daemon's control client for this fleet's state directory, if one is running. */
export async function daemonClient(ctx: CommandContext): Promise<ControlClient | undefined> {
  const { join } = await import("node:path");
  return ControlClient.connect(join(ctx.stateDir(), "herdctl.sock"));
}
