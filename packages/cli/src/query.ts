import { exitQuietlyWhenOutputCloses } from "./closed-pipe.js";
import { showJob } from "./commands/job.js";
import { listJobs } from "./commands/jobs.js";
import { showStatus } from "./commands/status.js";
import { CommandContext } from "./context.js";
import { ParseElsewhere } from "./parse-elsewhere.js";
import { parseQuery } from "./query-args.js";
import { reportFailure } from "./report-failure.js";

export { runDaemonTrigger } from "./daemon-trigger.js";

/**
 * `herdctl status`, `jobs` and `job`, the commands people run most to look, and a trigger while a
 * daemon runs (daemon-trigger.ts), without commander:
 * their command line is read by query-args.ts, and what it does not take as it is (help, a bad
 * option, …) is left to commander's program (frequent.ts). This module is the entry of a CommonJS
 * bundle of its own, dist/query.cjs (scripts/bundle-cli.mjs), which entry.ts runs from a V8 code
 * cache (code-cache.ts): one file, compiled once at build time, instead of twenty ES modules
 * resolved, read and compiled on every run. Returns false when the command line is not one it
 * takes, or the command needs the fleet parsed (see parse-elsewhere.ts).
 */
export async function runQuery(argv: readonly string[]): Promise<boolean> {
  const call = parseQuery(argv.slice(2));
  if (!call) return false;
  exitQuietlyWhenOutputCloses();
  const ctx = new CommandContext(call.globals);
  try {
    if (call.command === "status") await showStatus(ctx, call.agent);
    else if (call.command === "jobs") await listJobs(ctx, call.options);
    else await showJob(ctx, call.id, call.options);
  } catch (error) {
    // Nothing is printed before the fleet is parsed (at most the store's notice that it tightened
    // its files' modes, work done once): commander's program answers from the start.
    if (error instanceof ParseElsewhere) return false;
    reportFailure(error, call.globals.verbose === true);
  }
  return true;
}
