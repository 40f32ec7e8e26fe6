// `node dist/bin.js [--port P]` runs the stand-in as its own process (benchmarks, demos). Kept out
// of main.ts so that bundling main.ts into another program's entry file cannot start a stand-in.
import { UsageError } from "./errors.js";
import { runStandinCommand } from "./main.js";

runStandinCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
