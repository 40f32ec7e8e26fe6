import { buildImage, DEFAULT_IMAGE } from "@herdctl/core";
import type { Command } from "commander";
import { CommandContext } from "../context.js";

export function registerDocker(program: Command): void {
  const docker = program.command("docker").description("the runtime image Docker agents run in");
  docker
    .command("build")
    .description(`build ${DEFAULT_IMAGE} (from the Dockerfile, or offline from Debian packages)`)
    .option("--offline", "build without a registry: debootstrap plus the installed claude binary")
    .option("-t, --tag <tag>", "image tag", DEFAULT_IMAGE)
    .action(async (options: { offline?: boolean; tag: string }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const result = await buildImage({
        offline: options.offline === true,
        tag: options.tag,
        onLog:
          ctx.options.verbose || !ctx.json ? (line) => ctx.stderr.write(`${ctx.err.dim(line)}\n`) : undefined,
      });
      if (ctx.json) ctx.printJson(result);
      else ctx.print(`${ctx.out.green("ok")} ${result.tag}${result.cached ? " (unchanged, cached)" : ""}`);
    });
}
