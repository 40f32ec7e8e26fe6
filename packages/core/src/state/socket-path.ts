import { join, resolve } from "node:path";

/**
 * Where the daemon of a state directory listens. Apart from manager.ts so that a command asking
 * only the daemon (`herdctl status` while one runs) need not load the state store to find it.
 */
export function socketPathIn(stateDir: string): string {
  return join(resolve(stateDir), "herdctl.sock");
}
