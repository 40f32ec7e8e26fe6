import { exitCodeFor, isUserFacing } from "./errors.js";

/**
 * What a command that failed prints, and its exit code: the message, its stack with -v, and a
 * pointer to -v for an error not written for users (a bug). Shared by commander's program
 * (run.ts) and the query commands' own (query.ts), so both fail alike.
 */
export function reportFailure(error: unknown, verbose: boolean): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`herdctl: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else if (!isUserFacing(error)) process.stderr.write("(run again with -v for details)\n");
  process.exitCode = exitCodeFor(error);
}
