import { readFileSync } from "node:fs";
import { exitQuietlyWhenOutputCloses } from "./closed-pipe.js";
import { versionText } from "./version.js";

/**
 * `herdctl --version` and `herdctl --help` alone on the command line, answered without loading
 * commander and every command's definition (most of a command's start-up). Help comes from
 * `helpDir`, commander's own text written at build time by scripts/bundle-cli.mjs: `<columns>.txt`
 * for each width that wraps it differently, `wide.txt` for the widths at which nothing wraps.
 * Returns false when there is no built text for this terminal, so the caller runs the program.
 */
export function answerQuickly(arg: string, helpDir: URL): boolean {
  if (arg === "--version" || arg === "-V") return write(`${versionText()}\n`);
  if (arg === "--help" || arg === "-h") {
    const help = builtHelp(helpDir);
    return help !== undefined && write(help);
  }
  return false;
}

// Below this the build writes no help text (scripts/bundle-cli.mjs, MIN_HELP_WIDTH).
const MIN_HELP_WIDTH = 40;

function builtHelp(dir: URL): string | undefined {
  // Commander wraps to the terminal's width, and to 80 columns when stdout is not a terminal.
  const width = (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
  if (width < MIN_HELP_WIDTH) return undefined;
  for (const file of [`${width}.txt`, "wide.txt"]) {
    try {
      return readFileSync(new URL(file, dir), "utf8");
    } catch {
      // No file for this width: it is one at which nothing wraps, so wide.txt; if that is missing
      // too (a bundle built without help), commander answers.
    }
  }
  return undefined;
}

function write(text: string): true {
  exitQuietlyWhenOutputCloses();
  process.stdout.write(text);
  return true;
}
