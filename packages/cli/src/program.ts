import { Command } from "commander";
import { registerConfig } from "./commands/config.js";
import { registerDocker } from "./commands/docker.js";
import { registerStandin } from "./commands/standin.js";
import { registerTrigger } from "./commands/trigger.js";

export const VERSION = "0.1.0";

export function buildProgram(): Command {
  const program = new Command("herdctl")
    .description("Run a fleet of autonomous Claude Code agents")
    .version(VERSION)
    .option("-c, --config <path>", "fleet file or its folder (default: nearest herdctl.yaml upward)")
    .option("-s, --state <dir>", "state directory (default: .herdctl beside the fleet file)")
    .option("--json", "machine-readable output")
    .option("--no-color", "no colour, even on a terminal")
    .option("-v, --verbose", "more detail, and stack traces on errors")
    .showSuggestionAfterError(true)
    .exitOverride();
  registerTrigger(program);
  registerConfig(program);
  registerDocker(program);
  registerStandin(program);
  return program;
}
