#!/usr/bin/env node
import { createRequire } from "node:module";
import { registerAgentSdkImport } from "./agent-sdk-from-first-file.js";
import { requireCompiled } from "./code-cache.js";
import { commandWord, FREQUENT_COMMANDS } from "./command-word.js";
import { earlyContainerRequested } from "./early-settle.js";
import { exitWhenFlushed } from "./exit-when-flushed.js";
import { QUERY_COMMANDS } from "./query-args.js";
import { answerQuickly } from "./quick-answers.js";

/**
 * The CLI's first file, built as CommonJS (dist/herdctl.cjs): an ES module as the main file costs
 * Node's ES module loader (~7 ms) before any of it runs, and another ~3 ms per module file. What
 * needs no more than this file and query.cjs is answered here: `--version` and `--help` on their
 * own (see quick-answers.ts), and `status`, `jobs` and `job` (query.ts). `trigger`, and what
 * query.cjs leaves, run from frequent.cjs (frequent.ts); everything else is the ES module program,
 * index.js.
 */
async function start(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.length === 1 && ["--version", "-V", "--help", "-h"].includes(args[0] as string);
  if (quick && answerQuickly(args[0] as string, new URL("./help/", import.meta.url))) return;
  // Source maps cost ~30 ms of start-up, so only a verbose run, whose stack traces are read, turns
  // them on; they apply to what loads after this line, which is all of herdctl (query.cjs,
  // frequent.cjs, or index.js and the chunks it loads).
  const verbose = args.includes("-v") || args.includes("--verbose");
  if (verbose) process.setSourceMapsEnabled(true);
  const word = commandWord(args);
  if (word !== undefined && QUERY_COMMANDS.includes(word) && (await query(verbose, "runQuery"))) {
    await exitWhenFlushed();
    return;
  }
  // A trigger's claude or container starts here; while a daemon runs, the daemon gets the trigger
  // from here.
  if (word === "trigger") {
    if (startEarly(args) === "daemon" && (await query(verbose, "runDaemonTrigger"))) {
      await exitWhenFlushed();
      return;
    }
    await earlyContainerRequested();
  }
  if (word !== undefined && FREQUENT_COMMANDS.includes(word)) {
    await frequent(verbose);
    await exitWhenFlushed();
    return;
  }
  // A computed URL, so that esbuild leaves the import to Node instead of bundling the program.
  await import(new URL("./index.js", import.meta.url).href);
}

/**
 * `status`, `jobs` or `job`, or a trigger a daemon runs, from query.cjs (see query.ts), with its
 * code cache; with -v through `require`, whose source maps name the TypeScript in stack traces.
 * False when the command line is one that commander's program should parse (help, a bad option, …).
 */
async function query(verbose: boolean, run: "runQuery" | "runDaemonTrigger"): Promise<boolean> {
  const load = createRequire(import.meta.url);
  const file = load.resolve("./query.cjs");
  const commands = (verbose ? load(file) : requireCompiled(file).exports) as typeof import("./query.js");
  return commands[run](process.argv);
}

/**
 * `status`, `jobs`, `job` or `trigger` from frequent.cjs (frequent.ts), with its code cache, or
 * with -v through `require`, as query() does. The Agent SDK, an ES module, is imported from here.
 */
async function frequent(verbose: boolean): Promise<void> {
  registerAgentSdkImport(() => import("@anthropic-ai/claude-agent-sdk"));
  const load = createRequire(import.meta.url);
  const file = load.resolve("./frequent.cjs");
  const program = (verbose ? load(file) : requireCompiled(file).exports) as typeof import("./frequent.js");
  await program.runFrequent(process.argv);
}

/**
 * A trigger's claude, started from the launch cache while the program loads (early-start.ts);
 * "daemon" when the fleet's daemon is to run the job instead.
 */
function startEarly(args: readonly string[]): "daemon" | undefined {
  try {
    const early = createRequire(import.meta.url)("./early.cjs") as typeof import("./early-start.js");
    return early.startEarly(args);
  } catch {
    return undefined; // No head start; the trigger starts claude itself, as it would without this.
  }
}

void start();
