import { Command } from "commander";
import { VERSION, versionText } from "./version.js";

/**
 * The program with herdctl's name, version and global options and no commands: what every
 * command line is parsed by, its commands added by buildProgram (program.ts) or, for the
 * frequent commands, by frequent.ts.
 */
export function globalProgram(): Command {
  return (
    new Command("herdctl")
      .description("Run a fleet of autonomous Claude Code agents")
      // The full text reads two package.json files; only a --version run pays for that.
      .version(
        process.argv.includes("--version") || process.argv.includes("-V") ? versionText() : VERSION,
        "-V, --version",
        "herdctl's version, and claude's and the Agent SDK's",
      )
      .option("-c, --config <path>", "fleet file or its folder (default: nearest herdctl.yaml upward)")
      .option("-s, --state <dir>", "state directory (default: .herdctl beside the fleet file)")
      .option("--json", "machine-readable output")
      .option("--no-color", "no colour, even on a terminal")
      .option("-v, --verbose", "more detail, and stack traces on errors")
      .showSuggestionAfterError(true)
      .exitOverride()
  );
}
