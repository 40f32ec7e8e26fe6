import { exitQuietlyWhenOutputCloses } from "./closed-pipe.js";
import { registerJob } from "./commands/job.js";
import { registerJobs } from "./commands/jobs.js";
import { registerStatus } from "./commands/status.js";
import { registerTrigger } from "./commands/trigger.js";
import { earlyContainerSettled } from "./early-settle.js";
import { globalProgram } from "./program-global.js";
import { runProgram } from "./run.js";

/**
 * `herdctl status`, `jobs`, `job` and `trigger`, the commands people run most and wait on, as a
 * program of their own, built apart from the whole CLI (scripts/bundle-cli.mjs) as one CommonJS
 * file, dist/frequent.cjs, which herdctl.cjs (entry.ts) runs from its V8 code cache: one file
 * compiled at build time instead of the ES modules a trigger loaded, each resolved, read and
 * compiled on every run while the trigger's claude was starting on the same cores. Commander
 * parses, helps and reports errors for one of these commands as the whole program would: a
 * subcommand's parsing and help involve no other command.
 * `status`, `jobs` and `job` come here only when query.cjs (query.ts) leaves them: for help, a
 * command line it does not take as it is, or a fleet to parse.
 * Returns once the command has ended its work; the caller ends the process.
 */
export async function runFrequent(argv: string[]): Promise<void> {
  exitQuietlyWhenOutputCloses();
  const program = globalProgram();
  registerStatus(program);
  registerTrigger(program);
  registerJobs(program);
  registerJob(program);
  await runProgram(program, argv);
  // Every command here has ended its work when its action returns (a trigger has closed the state
  // and awaited its cache write), so nothing is cut short; but for a container the CLI's first
  // file was still creating for a trigger that failed before taking it.
  await earlyContainerSettled();
}
