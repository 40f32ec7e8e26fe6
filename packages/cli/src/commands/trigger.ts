import { existsSync } from "node:fs";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { socketPath } from "../daemon.js";
import { CliError } from "../errors.js";

interface TriggerOptions {
  schedule?: string;
  prompt?: string;
  wait?: boolean;
  fresh?: boolean;
  resume?: string;
  fork?: string;
  queue: boolean;
  offline?: boolean;
  quiet?: boolean;
  force?: boolean;
}

export function registerTrigger(program: Command): void {
  program
    .command("trigger")
    .description("run one job of an agent now")
    .argument("<agent>", "agent name (qualified for sub-fleet agents, e.g. api.triager)")
    .option("-S, --schedule <name>", "run as this schedule, with its prompt and session rule")
    .option(
      "-p, --prompt <text>",
      "the prompt (default: the schedule's prompt or the agent's default_prompt)",
    )
    .option("-w, --wait", "stream the job's output and wait for it to end")
    .option("-q, --quiet", "wait for the job and print only its final result (nothing while it runs)")
    .option("--fresh", "start a new session instead of continuing the last one")
    .option("--resume <session-id>", "continue this session")
    .option("--fork <job-id>", "branch a finished job's session into a new job; the original stays as it was")
    .option("--no-queue", "fail instead of waiting when the agent is at capacity")
    .option(
      "--force",
      "run even though the agent's or the fleet's budget is spent (recorded in the audit trail)",
    )
    .option("--offline", "use herdctl's built-in stand-in instead of Anthropic (no tokens spent)")
    .action(async (agentName: string, options: TriggerOptions, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const sessionFlags = [
        options.fresh && "--fresh",
        options.resume && "--resume",
        options.fork && "--fork",
      ];
      const given = sessionFlags.filter(Boolean);
      if (given.length > 1) throw new CliError(`use only one of ${given.join(", ")}`, 2);
      // A daemon, if one listens on the socket, gets the trigger as its first and only request.
      const socket = socketPath(ctx);
      if (existsSync(socket)) {
        // A claude the CLI's first file started for an in-process job: the daemon runs this one.
        (await import("../early-claude.js")).discardEarly();
        const { triggerOnDaemon } = await import("../daemon-trigger.js");
        if (await triggerOnDaemon(ctx, socket, agentName, options)) return;
      }
      // claude starts now, from how this agent's last job started it, while the fleet is read.
      const [{ SpeculativeClaude }, { containerAhead }] = await Promise.all([
        import("../speculative-claude.js"),
        import("../container-ahead.js"),
      ]);
      const ahead = new SpeculativeClaude(ctx.stateDir(), ctx.configPath(), agentName, options);
      if (ahead.pid !== undefined && ctx.options.verbose)
        ctx.stderr.write(
          ctx.err.dim(
            `· claude started ahead from the launch cache (pid ${ahead.pid})${ahead.early ? ", before the program loaded" : ""}\n`,
          ),
        );
      // A Docker agent's container likewise, from the one its last job ran in.
      const containers = await containerAhead(ctx, agentName);
      if (containers && ctx.options.verbose)
        ctx.stderr.write(
          ctx.err.dim(
            `· a container is starting ahead from the launch cache${containers.early ? ", before the program loaded" : ""}\n`,
          ),
        );
      // Ended here whatever happens (a bad prompt, a spent budget): never left waiting for a prompt.
      try {
        const parsedAt = Date.now();
        // The fleet the last in-process trigger parsed, while nothing it was read from changed.
        ctx.keptFleetAllowed = true;
        const agent = await ctx.agent(agentName);
        if (ctx.fleetWasKept && ctx.options.verbose)
          ctx.stderr.write(
            ctx.err.dim("· the fleet from the fleet cache (nothing it was read from changed)\n"),
          );
        const { runJobInProcess } = await import("../job-runner.js");
        const job = await runJobInProcess(ctx, {
          ahead,
          containers,
          parsedAt,
          agent,
          prompt: options.prompt,
          schedule: options.schedule,
          fresh: options.fresh,
          resume: options.resume,
          fork: options.fork,
          offline: options.offline,
          force: options.force === true,
          stream: options.wait === true && !options.quiet,
          quiet: options.quiet === true,
        });
        if (job.status !== "completed") process.exitCode = 1;
      } finally {
        await Promise.all([ahead.close(), containers?.close()]);
      }
    });
}
