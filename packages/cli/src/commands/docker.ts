import type { ImageProfile } from "@herdctl/core/internal";
import { DEV_IMAGE, IMAGE_PROFILES } from "@herdctl/core/internal/docker/profiles";
import { DEFAULT_IMAGE } from "@herdctl/core/internal/docker/runtime-image";
import { type Command, Option } from "commander";
import { CommandContext } from "../context.js";

export function registerDocker(program: Command): void {
  const docker = program.command("docker").description("the runtime images Docker agents run in");
  docker
    .command("build")
    .description(
      `build ${DEFAULT_IMAGE}, or with --profile dev ${DEV_IMAGE} (Node, Python, build tools) on top of it`,
    )
    .option("--offline", "build without a registry: debootstrap plus the installed claude binary")
    .addOption(
      new Option("--profile <name>", "base: claude and git; dev: adds Node, Python and build tools")
        .choices(IMAGE_PROFILES)
        .default("base"),
    )
    .option("-t, --tag <tag>", `image tag (default: ${DEFAULT_IMAGE}, or ${DEV_IMAGE} with --profile dev)`)
    .action(async (options: { offline?: boolean; profile: ImageProfile; tag?: string }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const { buildImage } = await import("../on-demand/docker.js");
      const result = await buildImage({
        offline: options.offline === true,
        profile: options.profile,
        tag: options.tag,
        onLog:
          ctx.options.verbose || !ctx.json ? (line) => ctx.stderr.write(`${ctx.err.dim(line)}\n`) : undefined,
      });
      if (ctx.json) ctx.printJson(result);
      else ctx.print(`${ctx.out.green("ok")} ${result.tag}${result.cached ? " (unchanged, cached)" : ""}`);
    });
}
