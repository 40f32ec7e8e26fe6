import { exitQuietlyWhenOutputCloses } from "./closed-pipe.js";
import { registerJob } from "./commands/job.js";
import { registerJobs } from "./commands/jobs.js";
import { registerStatus } from "./commands/status.js";
import { registerTrigger } from "./commands/trigger.js";
import { earlyContainerSettled } from "./early-settle.js";
import { exitWhenFlushed } from "./exit-when-flushed.js";
import { globalProgram } from "./program-global.js";
import { runProgram } from "./run.js";

/**
 * `herdctl status`, `jobs`, `job` and `trigger`, the commands people run most and wait on, as a
 * program of their own (index.ts sends a command line naming one of FREQUENT_COMMANDS here),
 * built apart from main.ts (scripts/bundle-cli.mjs), so that they load a
 * few module files instead of the many small chunks esbuild splits the whole CLI into, and
 * commander only their definitions. Commander parses, helps and reports errors for one of these
 * commands as the whole program would: a subcommand's parsing and help involve no other command.
 * `status`, `jobs` and `job` come here only when query.cjs (query.ts) leaves them: for help, a
 * command line it does not take as it is, or a fleet to parse.
 */
exitQuietlyWhenOutputCloses();
const program = globalProgram();
registerStatus(program);
registerTrigger(program);
registerJobs(program);
registerJob(program);
await runProgram(program, process.argv);
// Every command here has ended its work when its action returns (a trigger has closed the state
// and awaited its cache write), so nothing is cut short; but for a container the CLI's first file
// was still creating for a trigger that failed before taking it.
await earlyContainerSettled();
await exitWhenFlushed();
