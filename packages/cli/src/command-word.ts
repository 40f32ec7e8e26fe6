// The global options that take a value: the word after them is that value, not a command.
const GLOBAL_WITH_VALUE = new Set(["-c", "--config", "-s", "--state"]);

/**
 * The command a command line's arguments (after `herdctl`) name: the first word that is neither
 * an option nor a global option's value; undefined when there is none before `--`.
 */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return undefined;
    if (!arg.startsWith("-")) return arg;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
  }
  return undefined;
}

/** The commands frequent.ts runs, a program of their own (see there). */
export const FREQUENT_COMMANDS: readonly string[] = ["status", "jobs", "job", "trigger"];
