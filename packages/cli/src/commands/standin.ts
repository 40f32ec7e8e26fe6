import type { Command } from "commander";

export function registerStandin(program: Command): void {
  program
    .command("standin")
    .description("serve herdctl's offline Messages API stand-in on 127.0.0.1 until stopped")
    .allowUnknownOption(true)
    .helpOption(false)
    .argument("[args...]", "stand-in options, e.g. --port 8787 (see: herdctl standin --help)")
    .action(async (args: string[]) => {
      // The stand-in loads node:http and node:crypto; only this command should.
      const { runStandinCommand } = await import("@herdctl/standin");
      process.exitCode = await runStandinCommand(args);
    });
}
