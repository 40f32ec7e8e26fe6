import { commandWord, FREQUENT_COMMANDS } from "./command-word.js";

// The ES module program, which dist/herdctl.cjs (entry.ts) starts for every command it does not
// answer itself. frequent.js is a bundle of its own (see frequent.ts), beside this one: a computed
// URL, so that esbuild leaves the import to Node instead of bundling frequent.ts into this build.
const word = commandWord(process.argv.slice(2));
if (word !== undefined && FREQUENT_COMMANDS.includes(word))
  await import(new URL("./frequent.js", import.meta.url).href);
else await import("./main.js");
