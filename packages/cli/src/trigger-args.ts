import type { ParseArgsConfig } from "node:util";
import { commandWord } from "./command-word.js";
import type { GlobalOptions } from "./context.js";
import type { LaunchRequest } from "./launch-cache.js";
import { readCommandLine } from "./query-args.js";

/**
 * A `trigger` command line as commander would read it: `request`, what decides which claude its
 * job starts, and `run`, the rest of what a daemon is asked (daemon-trigger.ts).
 */
export interface TriggerLine {
  globals: GlobalOptions;
  agent: string;
  request: LaunchRequest & { fork?: string; offline?: boolean };
  run: { prompt?: string; wait?: boolean; quiet?: boolean; queue: boolean; force?: boolean };
}

// commands/trigger.ts's options; packages/cli/test/commands/trigger-args.test.ts holds them together.
const OWN = {
  schedule: { type: "string", short: "S" },
  prompt: { type: "string", short: "p" },
  wait: { type: "boolean", short: "w" },
  quiet: { type: "boolean", short: "q" },
  fresh: { type: "boolean" },
  resume: { type: "string" },
  fork: { type: "string" },
  "no-queue": { type: "boolean" },
  force: { type: "boolean" },
  offline: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/**
 * `trigger <agent> …` read without commander, for the CLI's first file: to start the agent's claude
 * before the program loads (early-start.ts), or to hand the trigger to a running daemon without the
 * program (daemon-trigger.ts); undefined for anything commander should read itself.
 * packages/cli/test/commands/trigger-args.test.ts holds every line it takes to commander's reading.
 */
export function parseTriggerLine(args: readonly string[]): TriggerLine | undefined {
  if (commandWord(args) !== "trigger") return undefined;
  const line = readCommandLine(args, OWN, 1, 1);
  if (!line) return undefined;
  const v = line.values;
  return {
    globals: line.globals,
    agent: line.positionals[0] as string,
    request: {
      fresh: v.fresh as boolean | undefined,
      resume: v.resume as string | undefined,
      schedule: v.schedule as string | undefined,
      fork: v.fork as string | undefined,
      offline: v.offline as boolean | undefined,
    },
    run: {
      prompt: v.prompt as string | undefined,
      wait: v.wait as boolean | undefined,
      quiet: v.quiet as boolean | undefined,
      queue: v["no-queue"] !== true,
      force: v.force as boolean | undefined,
    },
  };
}
