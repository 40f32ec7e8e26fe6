#!/usr/bin/env node
import { commandWord, FREQUENT_COMMANDS } from "./command-word.js";

// `--version` and `--help` on their own are answered before the program (commander and every
// command's definition) loads; see quick-answers.ts.
const args = process.argv.slice(2);
const quick = args.length === 1 && ["--version", "-V", "--help", "-h"].includes(args[0] as string);
if (
  !quick ||
  !(await import("./quick-answers.js")).answerQuickly(args[0] as string, new URL("./help/", import.meta.url))
) {
  // Source maps cost ~30 ms of start-up, so only a verbose run, whose stack traces are read, turns
  // them on; they apply to what loads after this line, which is all of herdctl (main.js or
  // frequent.js and the chunks they load).
  if (process.argv.includes("-v") || process.argv.includes("--verbose")) process.setSourceMapsEnabled(true);
  const word = commandWord(args);
  // frequent.js is a bundle of its own (see frequent.ts), beside this one: a computed URL, so
  // that esbuild leaves the import to Node instead of bundling frequent.ts into this build.
  if (word !== undefined && FREQUENT_COMMANDS.includes(word))
    await import(new URL("./frequent.js", import.meta.url).href);
  else await import("./main.js");
}
