#!/usr/bin/env node
import { createRequire } from "node:module";
import { requireCompiled } from "./code-cache.js";
import { commandWord, FREQUENT_COMMANDS } from "./command-word.js";
import { exitWhenFlushed } from "./exit-when-flushed.js";
import { QUERY_COMMANDS } from "./query-args.js";

// `--version` and `--help` on their own are answered before the program (commander and every
// command's definition) loads; see quick-answers.ts.
const args = process.argv.slice(2);
const quick = args.length === 1 && ["--version", "-V", "--help", "-h"].includes(args[0] as string);
if (
  !quick ||
  !(await import("./quick-answers.js")).answerQuickly(args[0] as string, new URL("./help/", import.meta.url))
) {
  // Source maps cost ~30 ms of start-up, so only a verbose run, whose stack traces are read, turns
  // them on; they apply to what loads after this line, which is all of herdctl (query.cjs,
  // main.js or frequent.js and the chunks they load).
  const verbose = process.argv.includes("-v") || process.argv.includes("--verbose");
  if (verbose) process.setSourceMapsEnabled(true);
  const word = commandWord(args);
  if (word !== undefined && QUERY_COMMANDS.includes(word) && (await query(verbose))) await exitWhenFlushed();
  // frequent.js is a bundle of its own (see frequent.ts), beside this one: a computed URL, so
  // that esbuild leaves the import to Node instead of bundling frequent.ts into this build.
  else if (word !== undefined && FREQUENT_COMMANDS.includes(word))
    await import(new URL("./frequent.js", import.meta.url).href);
  else await import("./main.js");
}

/**
 * `status`, `jobs` or `job` from query.cjs (see query.ts), with its code cache; with -v through
 * `require`, whose source maps name the TypeScript in stack traces. False when the command line is
 * one that commander's program should parse (help, a bad option, …).
 */
async function query(verbose: boolean): Promise<boolean> {
  // Built-ins through require: node:url's ES module facade would cost more than the URL.
  const load = createRequire(import.meta.url);
  const { fileURLToPath } = load("node:url") as typeof import("node:url");
  const file = fileURLToPath(new URL("./query.cjs", import.meta.url));
  const { runQuery } = (verbose ? load(file) : requireCompiled(file).exports) as typeof import("./query.js");
  return runQuery(process.argv);
}
