import { exitQuietlyWhenOutputCloses } from "./closed-pipe.js";
import { buildProgram } from "./program.js";
import { runProgram } from "./run.js";

// The whole CLI as an ES module program, which dist/herdctl.cjs (entry.ts) starts for every
// command it and frequent.cjs (frequent.ts) do not run.
exitQuietlyWhenOutputCloses();
await runProgram(buildProgram(), process.argv);
