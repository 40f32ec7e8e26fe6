/**
 * A control-socket request the daemon refused, or a daemon that went away. Apart from the client,
 * so commands that only recognise it (instanceof) do not load node:http with the client.
 */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

/** No daemon listens on the socket (a stale socket file, or none): nothing was received there. */
export function isNoDaemon(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ECONNREFUSED" || code === "ENOENT";
}
