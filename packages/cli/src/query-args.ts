import { type ParseArgsConfig, parseArgs } from "node:util";
import { commandWord } from "./command-word.js";
import type { JobsOptions } from "./commands/jobs.js";
import type { GlobalOptions } from "./context.js";

/** A query command line as commander would have parsed it (see parseQuery). */
export type QueryCall = { globals: GlobalOptions } & (
  | { command: "status"; agent: string | undefined }
  | { command: "jobs"; options: JobsOptions }
  | { command: "job"; id: string; options: { logs?: boolean } }
);

type Token = NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number];

/** The commands query.ts answers without commander. */
export const QUERY_COMMANDS: readonly string[] = ["status", "jobs", "job"];

// Global options (program-global.ts) are taken before and after the command word, as commander
// takes them; a command's own options only after it.
const GLOBAL = {
  config: { type: "string", short: "c" },
  state: { type: "string", short: "s" },
  json: { type: "boolean" },
  "no-color": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
} as const;
const OWN = {
  status: {},
  jobs: {
    agent: { type: "string", short: "a" },
    status: { type: "string", short: "S" },
    limit: { type: "string", short: "l" },
    since: { type: "string" },
    before: { type: "string" },
  },
  job: { logs: { type: "boolean" } },
} as const;
/** How many arguments each takes after its word: status [agent], jobs, job <id>. */
const ARGUMENTS = { status: [0, 1], jobs: [0, 0], job: [1, 1] } as const;

/**
 * `status`, `jobs` or `job` with options and arguments commander would take as they are; undefined
 * for anything else — help, --version, an unknown option, a missing or extra argument, and the
 * forms whose reading is subtle (`--`, grouped or glued short options such as `-l5`, a value that
 * starts with `-`) — which commander's program then parses, answering or reporting the error as
 * it always has (frequent.ts). The options are those of commands/{status,jobs,job}.ts and
 * program-global.ts; packages/cli/test/commands/query-args.test.ts holds them together.
 */
export function parseQuery(args: readonly string[]): QueryCall | undefined {
  const word = commandWord(args);
  if (word !== "status" && word !== "jobs" && word !== "job") return undefined;
  const [least, most] = ARGUMENTS[word];
  const line = readCommandLine(args, OWN[word], least, most);
  if (!line) return undefined;
  const { positionals, globals } = line;
  const v = line.values;
  if (word === "status") return { globals, command: "status", agent: positionals[0] };
  if (word === "job")
    return {
      globals,
      command: "job",
      id: positionals[0] as string,
      options: { logs: v.logs as boolean | undefined },
    };
  return {
    globals,
    command: "jobs",
    options: {
      agent: v.agent as string | undefined,
      status: v.status as string | undefined,
      limit: (v.limit as string | undefined) ?? "20",
      since: v.since as string | undefined,
      before: v.before as string | undefined,
    },
  };
}

/** A command line read as commander would read it (see parseQuery for what is left to commander). */
export interface CommandLine {
  globals: GlobalOptions;
  values: Record<string, string | boolean | undefined>;
  /** The arguments after the command word. */
  positionals: string[];
}

/**
 * The command line of the command `commandWord(args)` names, with its own options `own` and
 * `least` to `most` arguments; undefined for anything commander should read itself.
 */
export function readCommandLine(
  args: readonly string[],
  own: ParseArgsConfig["options"],
  least: number,
  most: number,
): CommandLine | undefined {
  if (args.some((a) => a === "--" || /^-[^-]./.test(a))) return undefined;
  let parsed: { values: Record<string, string | boolean | undefined>; tokens: Token[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...GLOBAL, ...own } as ParseArgsConfig["options"],
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch {
    return undefined;
  }
  const positionals: string[] = [];
  let seenWord = false;
  for (const token of parsed.tokens) {
    if (token.kind === "positional") {
      if (seenWord) positionals.push(token.value);
      seenWord = true;
    } else if (token.kind === "option") {
      if (!seenWord && !(token.name in GLOBAL)) return undefined;
      if (token.value?.startsWith("-")) return undefined;
    } else return undefined;
  }
  if (positionals.length < least || positionals.length > most) return undefined;
  const v = parsed.values;
  const globals: GlobalOptions = {
    config: v.config as string | undefined,
    state: v.state as string | undefined,
    json: v.json as boolean | undefined,
    color: v["no-color"] !== true,
    verbose: v.verbose as boolean | undefined,
  };
  return { globals, values: v, positionals };
}
