import { type Command, CommanderError } from "commander";
import { exitCodeFor, isUserFacing } from "./errors.js";

/** Parses and runs a command line, turning what it throws into a message and an exit code. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its own message; help and version are successes.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`herdctl: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else if (!isUserFacing(error)) process.stderr.write("(run again with -v for details)\n");
    process.exitCode = exitCodeFor(error);
  }
}
