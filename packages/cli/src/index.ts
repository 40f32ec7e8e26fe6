#!/usr/bin/env node
// Source maps cost ~30 ms of start-up, so only a verbose run, whose stack traces are read, turns
// them on; they apply to what loads after this line, which is all of herdctl (main.js and the
// chunks it loads).
if (process.argv.includes("-v") || process.argv.includes("--verbose")) process.setSourceMapsEnabled(true);
await import("./main.js");
