import { type Command, CommanderError } from "commander";
import { reportFailure } from "./report-failure.js";

/** Parses and runs a command line, turning what it throws into a message and an exit code. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its own message; help and version are successes.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    reportFailure(error, argv.includes("-v") || argv.includes("--verbose"));
  }
}
