import { exitQuietlyWhenOutputCloses } from "./closed-pipe.js";
import { buildProgram } from "./program.js";
import { runProgram } from "./run.js";

exitQuietlyWhenOutputCloses();
await runProgram(buildProgram(), process.argv);
